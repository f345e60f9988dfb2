import { NonRetriableError } from "@kalphite/flush";
import { ValidationError } from "@kalphite/store";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createFrontendDatabase, type FrontendDatabase } from "./frontend-database";
import { ESCAPE, decodeString, encodeString } from "./stored-json";
import { isPermanentTargetError } from "./target-errors";
import { batchContext, deleteChange, upsertChange } from "./test-fixtures/changes";

let db: FrontendDatabase;
beforeAll(async () => {
  db = await createFrontendDatabase({ dbName: "memory://stored-values-test" });
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  await db.pglite.exec("DELETE FROM kalphite_entities; DELETE FROM kalphite_meta;");
});

const NUL = "\u0000";

describe("strings Postgres jsonb refuses are stored and returned unchanged", () => {
  const odd = {
    id: `id${NUL}1`,
    type: `no${NUL}te`,
    text: `a${NUL}b`,
    onlyNul: NUL,
    escape: ESCAPE,
    lookalike: `${ESCAPE}0 and ${ESCAPE}${ESCAPE}`,
    [`key${NUL}`]: [NUL, { [`${ESCAPE}k`]: `${NUL}${ESCAPE}` }],
    emoji: "😀～𝄞",
  };

  it("round-trips U+0000 and the escape character in values, keys, ids and types through every read", async () => {
    await db.upsertMany([odd, { id: "plain", type: odd.type, text: "ordinary" }]);
    expect(await db.getById(odd.type, odd.id)).toEqual(odd);
    expect(await db.getAll()).toEqual([odd, { id: "plain", type: odd.type, text: "ordinary" }]);
    expect(await db.getByType(odd.type)).toHaveLength(2);
    expect(await db.count(odd.type)).toBe(2);
    expect(await db.find(odd.type, { where: { text: `a${NUL}b` } })).toEqual([odd]);
    expect(await db.find(odd.type, { where: { escape: { in: [ESCAPE] } } })).toEqual([odd]);
    expect(await db.find(odd.type, { where: { text: "ordinary" } })).toHaveLength(1);
    expect(await db.query(odd.type, (e: Record<string, unknown>) => e["onlyNul"] === NUL)).toEqual([odd]);
    expect(await db.delete(odd.type, odd.id)).toBe(true);
    expect(await db.deleteMany(odd.type, ["plain"])).toBe(1);
  });

  it("keeps ordinary strings as they are in SQL (find and your own SQL see them unchanged)", async () => {
    await db.upsert("note", "n", { text: "ordinary — ✓ 😀" });
    const { rows } = await db.pglite.query<{ text: string }>("SELECT data ->> 'text' AS text FROM kalphite_entities");
    expect(rows).toEqual([{ text: "ordinary — ✓ 😀" }]);
  });

  it("goes through the flush target, deletes included", async () => {
    const target = db.asFlushTarget();
    await target([upsertChange(odd), upsertChange({ id: NUL, type: "note", v: NUL })], batchContext());
    expect(await db.getById("note", NUL)).toEqual({ id: NUL, type: "note", v: NUL });
    await target([deleteChange("note", NUL)], batchContext());
    expect(await db.getAll()).toEqual([odd]);
  });

  it("encodes reversibly: decode(encode(s)) === s for any string, and ordinary strings are untouched (property)", () => {
    const special = fc.constantFrom(NUL, ESCAPE, "0", `${ESCAPE}0`, "x");
    const text = fc.oneof(fc.string({ unit: "binary" }), fc.array(fc.oneof(special, fc.string({ unit: "binary", maxLength: 3 }))).map((parts) => parts.join("")));
    fc.assert(
      fc.property(text, (s) => {
        expect(decodeString(encodeString(s))).toBe(s);
        if (!s.includes(NUL) && !s.includes(ESCAPE)) expect(encodeString(s)).toBe(s);
        expect(encodeString(s)).not.toContain(NUL);
      }),
      { numRuns: 500 },
    );
  });

  it("round-trips random JSON over the full Unicode range, through upsertMany and the flush target (property)", async () => {
    const text = fc.oneof(fc.string({ unit: "binary" }), fc.constantFrom(NUL, ESCAPE, `${ESCAPE}0`, `a${NUL}`));
    const json = fc.jsonValue({ maxDepth: 3 }).chain((value) => fc.tuple(fc.constant(value), fc.dictionary(text, fc.oneof(text, fc.jsonValue({ maxDepth: 2 })), { maxKeys: 4 })));
    const entity = fc.record({ id: text.filter((s) => s !== ""), value: json }).map(({ id, value: [value, extra] }) => ({ ...extra, id, type: "thing", value }));
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(entity, { selector: (e) => e.id, maxLength: 6 }), async (entities) => {
        await db.pglite.exec("DELETE FROM kalphite_entities");
        const half = Math.floor(entities.length / 2);
        await db.upsertMany(entities.slice(0, half));
        await db.asFlushTarget()(entities.slice(half).map((e) => upsertChange(e)), batchContext());
        // Through JSON (what the store accepts): -0 becomes 0 there too.
        expect(await db.getAll()).toEqual(JSON.parse(JSON.stringify(entities)));
      }),
      { numRuns: 40 },
    );
  });
});

describe("the flush target's verdicts: permanent failures are NonRetriableErrors naming the entity", () => {
  it("refuses a bigint or a lone surrogate with NonRetriableError naming every such change; nothing of the batch is written", async () => {
    const big = upsertChange({ id: "big", type: "note", n: 10n } as never);
    const lone = upsertChange({ id: "lone", type: "note", text: "\ud83d" });
    const fine = upsertChange({ id: "fine", type: "note" });
    const error = await db.asFlushTarget()([fine, big, lone, deleteChange("note", "x")], batchContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonRetriableError);
    expect((error as NonRetriableError).changes).toEqual([big, lone]);
    expect((error as Error).message).toMatch(/note "big" \(n: a bigint/);
    expect((error as Error).message).toMatch(/note "lone" \(text: a string holding a lone surrogate/);
    expect(await db.count()).toBe(0);
  });

  it("refuses malformed changes as NonRetriableError naming them", async () => {
    const noEntity = { ...deleteChange("note", "y"), operation: "upsert" as const };
    const error = await db.asFlushTarget()([upsertChange({ id: "ok", type: "note" }), noEntity], batchContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonRetriableError);
    expect((error as NonRetriableError).changes).toEqual([noEntity]);
    expect(await db.count()).toBe(0);
  });

  it("classifies Postgres data errors as permanent: a constraint violation is a NonRetriableError (naming the change of a one-change batch)", async () => {
    await db.pglite.exec("ALTER TABLE kalphite_entities ADD CONSTRAINT test_no_boom CHECK (NOT data ? 'boom')");
    try {
      const boom = upsertChange({ id: "b", type: "note", boom: true });
      const several = await db.asFlushTarget()([upsertChange({ id: "a", type: "note" }), boom], batchContext()).catch((e: unknown) => e);
      expect(several).toBeInstanceOf(NonRetriableError);
      expect(several).toMatchObject({ changes: [], message: expect.stringContaining("SQLSTATE 23514") });
      const one = await db.asFlushTarget()([boom], batchContext()).catch((e: unknown) => e);
      expect(one).toMatchObject({ name: "NonRetriableError", changes: [boom], message: expect.stringContaining('note "b"') });
      expect(await db.count()).toBe(0);
    } finally {
      await db.pglite.exec("ALTER TABLE kalphite_entities DROP CONSTRAINT test_no_boom");
    }
  });

  it("keeps a closed or unopened database retriable (not a NonRetriableError)", async () => {
    const closed = await createFrontendDatabase({ dbName: "memory://stored-values-closed" });
    await closed.close();
    const error = await closed.asFlushTarget()([upsertChange({ id: "a", type: "note" })], batchContext()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "CLOSED" });
    expect(error).not.toBeInstanceOf(NonRetriableError);
    expect(isPermanentTargetError(error)).toBe(false);
    expect(isPermanentTargetError(Object.assign(new Error("disk I/O"), { code: "58030" }))).toBe(false);
    expect(isPermanentTargetError(Object.assign(new Error("bad json"), { code: "22P02" }))).toBe(true);
    expect(isPermanentTargetError(new ValidationError("note", "x", []))).toBe(true);
  });
});
