import { compareKeys, type Entity } from "@kalphite/store";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildFindQuery, type FieldCondition, type FindOptions, type FindScalar } from "./find-query";
import { createFrontendDatabase, type FrontendDatabase } from "./frontend-database";

let db: FrontendDatabase;
beforeAll(async () => {
  db = await createFrontendDatabase({ dbName: "memory://find-test", indexes: ["rank"] });
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  await db.pglite.exec("DELETE FROM kalphite_entities");
});

type Item = Entity & { rank?: number | string | null; title?: string; done?: boolean; meta?: { size?: number } };
const ids = (list: readonly { id: string }[]) => list.map((e) => e.id);

const items: Item[] = [
  { id: "a", type: "item", rank: 3, title: "apple", done: false, meta: { size: 10 } },
  { id: "b", type: "item", rank: 1, title: "banana", done: true, meta: { size: 2 } },
  { id: "c", type: "item", rank: null, title: "cherry", done: false },
  { id: "d", type: "item", title: "date", done: true, meta: {} },
  { id: "e", type: "item", rank: 2.5, title: "elder", done: false, meta: { size: 10 } },
  { id: "f", type: "item", rank: "10", title: "fig", done: false },
  { id: "g", type: "item", rank: 3, title: "grape", done: true },
  { id: "x", type: "other", rank: 1, title: "apple" },
];

describe("find() in SQL", () => {
  beforeEach(async () => {
    await db.upsertMany(items);
  });

  it("matches equality like ===: numbers never equal strings, booleans exactly", async () => {
    expect(ids(await db.find("item", { where: { rank: 3 } }))).toEqual(["a", "g"]);
    expect(ids(await db.find("item", { where: { rank: "10" } }))).toEqual(["f"]);
    expect(ids(await db.find("item", { where: { rank: 10 } }))).toEqual([]);
    expect(ids(await db.find("item", { where: { done: true, rank: { eq: 3 } } }))).toEqual(["g"]);
    expect(ids(await db.find("item", { where: { title: "apple" } }))).toEqual(["a"]); // not the "other" type
  });

  it("treats null as null-or-missing for eq, ne and in", async () => {
    expect(ids(await db.find("item", { where: { rank: null } }))).toEqual(["c", "d"]);
    expect(ids(await db.find("item", { where: { rank: { ne: null } } }))).toEqual(["a", "b", "e", "f", "g"]);
    expect(ids(await db.find("item", { where: { rank: { ne: 3 } } }))).toEqual(["b", "c", "d", "e", "f"]);
    expect(ids(await db.find("item", { where: { rank: { in: [1, null] } } }))).toEqual(["b", "c", "d"]);
    expect(ids(await db.find("item", { where: { rank: { in: [] } } }))).toEqual([]);
  });

  it("compares ranges numerically and only against values of the same JSON type", async () => {
    expect(ids(await db.find("item", { where: { rank: { gt: 2 } } }))).toEqual(["a", "e", "g"]); // "10" is a string: skipped
    expect(ids(await db.find("item", { where: { rank: { gte: 1, lt: 3 } } }))).toEqual(["b", "e"]);
    expect(ids(await db.find("item", { where: { title: { gte: "c", lte: "elder" } } }))).toEqual(["c", "d", "e"]);
    expect(ids(await db.find("item", { where: { "meta.size": { gte: 10 } } }))).toEqual(["a", "e"]);
  });

  it("orders like the store (nulls last ascending, first descending, ties by insertion) and pages", async () => {
    expect(ids(await db.find("item", { where: { rank: { ne: "10" } }, orderBy: "rank" }))).toEqual(["b", "e", "a", "g", "c", "d"]);
    expect(ids(await db.find("item", { where: { rank: { ne: "10" } }, orderBy: { field: "rank", direction: "desc" } }))).toEqual(["c", "d", "a", "g", "e", "b"]);
    expect(ids(await db.find("item", { orderBy: [{ field: "done", direction: "desc" }, "title"] }))).toEqual(["b", "d", "g", "a", "c", "e", "f"]);
    expect(ids(await db.find("item", { orderBy: "title", limit: 2, offset: 1 }))).toEqual(["b", "c"]);
    expect(await db.find("item", { limit: 0 })).toEqual([]);
    expect(ids(await db.find("item"))).toEqual(["a", "b", "c", "d", "e", "f", "g"]);
  });

  it("returns whole entities", async () => {
    expect(await db.find("item", { where: { title: "apple" } })).toEqual([items[0]]);
  });

  it("refuses fields that are not identifiers and values that are not scalars, before touching SQL", async () => {
    for (const where of [
      { "rank'); DROP TABLE kalphite_entities; --": 1 },
      { "a..b": 1 },
      { "": 1 },
      { rank: { like: "x" } },
      { rank: { gt: null } },
      { rank: [1, 2] },
      { rank: { eq: { nested: true } } },
      { rank: new Date() },
      { rank: Number.NaN },
    ] as unknown as Record<string, FieldCondition>[]) {
      await expect(db.find("item", { where })).rejects.toMatchObject({ name: "DatabaseError", code: "INVALID_QUERY" });
    }
    await expect(db.find("item", { orderBy: "x; DROP" })).rejects.toMatchObject({ code: "INVALID_QUERY" });
    await expect(db.find("item", { limit: -1 })).rejects.toMatchObject({ code: "INVALID_QUERY" });
    await expect(db.find("item", { orderBy: { field: "rank", direction: "up" as never } })).rejects.toMatchObject({ code: "INVALID_QUERY" });
  });

  it("passes values as parameters: SQL in a value is just a string", async () => {
    const evil = "x' OR '1'='1'; DROP TABLE kalphite_entities; --";
    expect(await db.find("item", { where: { title: evil } })).toEqual([]);
    expect(await db.find(evil, {})).toEqual([]);
    expect(await db.count()).toBe(items.length);
  });

  it("uses the index made by createIndex (or config.indexes) for equality, ranges and ordering", async () => {
    await db.createIndex("meta.size");
    const plan = async (options: FindOptions) => {
      const { sql, params } = buildFindQuery("item", options);
      await db.pglite.exec("SET enable_seqscan = off");
      try {
        const { rows } = await db.pglite.query<{ "QUERY PLAN": string }>(`EXPLAIN ${sql}`, params);
        return rows.map((r) => r["QUERY PLAN"]).join("\n");
      } finally {
        await db.pglite.exec("RESET enable_seqscan");
      }
    };
    expect(await plan({ where: { rank: 3 } })).toContain("kalphite_idx.rank");
    expect(await plan({ where: { rank: { gt: 1, lte: 3 } } })).toContain("kalphite_idx.rank");
    expect(await plan({ where: { "meta.size": { in: [2, 10] } } })).toContain("kalphite_idx.meta.size");
    expect(await plan({ orderBy: "rank", limit: 3 })).toMatch(/Index Scan using "kalphite_idx\.rank"/);
    expect(ids(await db.find("item", { where: { "meta.size": 10 } }))).toEqual(["a", "e"]);
    await db.dropIndex("meta.size");
    expect(await plan({ where: { "meta.size": 10 } })).not.toContain("kalphite_idx.meta.size");
  });

  const indexes = async () =>
    (await db.pglite.query<{ name: string }>("SELECT indexname AS name FROM pg_indexes WHERE tablename = 'kalphite_entities' AND indexname LIKE 'kalphite_idx%' ORDER BY 1")).rows.map((r) => r.name);

  it("gives a.b and a__b indexes of their own: creating or dropping one leaves the other", async () => {
    await db.createIndex("a.b");
    await db.createIndex("a__b");
    expect(await indexes()).toEqual(["kalphite_idx.a.b", "kalphite_idx.a__b", "kalphite_idx.rank"]);
    await db.dropIndex("a.b");
    expect(await indexes()).toEqual(["kalphite_idx.a__b", "kalphite_idx.rank"]);
    await db.dropIndex("a__b");
    const long = `${"segment_".repeat(8)}x.${"more_".repeat(6)}y`;
    await db.createIndex(long);
    await db.createIndex(long.replace(".", "__"));
    expect(new Set(await indexes()).size).toBe(3);
    await db.dropIndex(long);
    await db.dropIndex(long.replace(".", "__"));
  });

  it("replaces an index made under the old name (segments joined by __) for the same field, and leaves another field's alone", async () => {
    // What the previous version's createIndex("x.y") and createIndex("a__b") made.
    await db.pglite.exec(`CREATE INDEX "kalphite_idx_x__y" ON kalphite_entities (type, (NULLIF(data -> 'x' -> 'y', 'null'::jsonb)))`);
    await db.pglite.exec(`CREATE INDEX "kalphite_idx_a__b" ON kalphite_entities (type, (NULLIF(data -> 'a__b', 'null'::jsonb)))`);
    await db.createIndex("x.y");
    await db.createIndex("a.b"); // the legacy name matches, the definition does not: kept
    expect(await indexes()).toEqual(["kalphite_idx.a.b", "kalphite_idx.rank", "kalphite_idx.x.y", "kalphite_idx_a__b"]);
    await db.dropIndex("a__b"); // its legacy index is the same definition: dropped with it
    await db.dropIndex("a.b");
    await db.dropIndex("x.y");
    expect(await indexes()).toEqual(["kalphite_idx.rank"]);
  });

  it("orders strings by code point, and query() orders them the same way", async () => {
    const words = ["😀", "～", "\uffff", "a", "𝄞", "Z", "é", "", "\u0000x", "\ufdd0"];
    await db.pglite.exec("DELETE FROM kalphite_entities");
    await db.upsertMany(words.map((title, i) => ({ id: `w${i}`, type: "word", title })));
    const byCodePoint = [...words].sort((a, b) => {
      const [x, y] = [[...a].map((c) => c.codePointAt(0)!), [...b].map((c) => c.codePointAt(0)!)];
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      return x.length - y.length;
    });
    const titles = (list: readonly { title?: unknown }[]) => list.map((e) => e.title);
    const plain = byCodePoint.filter((w) => !w.includes("\u0000") && !w.includes("\ufdd0"));
    // Strings holding U+0000 or U+FDD0 order by their stored form in SQL (see stored-json.ts); the rest by code point.
    expect(titles(await db.find<Item>("word", { orderBy: "title" })).filter((t) => plain.includes(t as string))).toEqual(plain);
    expect(titles(await db.query<{ title: string }>("word", undefined, "title"))).toEqual(byCodePoint);
    expect(titles(await db.find<Item>("word", { where: { title: { gt: "～" } } })).sort()).toEqual(["😀", "𝄞", "\uffff"].sort());
  });
});

// ---- property: find() agrees with the JS model (and with query()) --------

const get = (entity: Item, field: string): unknown => field.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], entity);
const isNullish = (v: unknown) => v === null || v === undefined;

function matches(value: unknown, condition: FieldCondition): boolean {
  const ops = condition !== null && typeof condition === "object" ? condition : { eq: condition };
  return Object.entries(ops).every(([op, v]) => {
    if (op === "in") return (v as FindScalar[]).some((x) => (x === null ? isNullish(value) : value === x));
    if (op === "eq") return v === null ? isNullish(value) : value === v;
    if (op === "ne") return v === null ? !isNullish(value) : value !== v;
    if (typeof value !== typeof v || isNullish(value)) return false;
    const a = value as number, b = v as number;
    return op === "gt" ? a > b : op === "gte" ? a >= b : op === "lt" ? a < b : a <= b;
  });
}

const scalar = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom(0.5, -2.25), fc.constantFrom("a", "b", "ab", "B", ""), fc.boolean(), fc.constant(null));
const entityArb = (i: number) =>
  fc.record({ rank: fc.option(fc.integer({ min: -5, max: 5 }), { nil: undefined }), value: fc.option(scalar, { nil: undefined }), size: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }) }, { requiredKeys: [] }).map(
    ({ rank, value, size }): Item => ({ id: `e${i}`, type: "item", ...(rank === undefined ? {} : { rank }), ...(value === undefined ? {} : { value }), meta: size === undefined ? {} : { size } }),
  );
const condition: fc.Arbitrary<[string, FieldCondition]> = fc.tuple(
  fc.constantFrom("rank", "value", "meta.size"),
  fc.oneof(
    scalar,
    fc.record({ eq: scalar }),
    fc.record({ ne: scalar }),
    fc.record({ gt: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom("a", "b")) }),
    fc.record({ gte: fc.integer({ min: -5, max: 5 }), lt: fc.integer({ min: -5, max: 5 }) }),
    fc.record({ lte: fc.oneof(fc.boolean(), fc.constantFrom("ab")) }),
    fc.record({ in: fc.array(scalar, { maxLength: 3 }) }),
  ),
);

describe("find() agrees with JavaScript (property)", () => {
  it("returns what filtering and sorting the entities in JS returns, for random data and queries", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 25 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => entityArb(i)))),
        fc.array(condition, { maxLength: 2 }),
        fc.option(fc.record({ field: fc.constantFrom("rank", "meta.size"), direction: fc.constantFrom("asc" as const, "desc" as const) }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
        async (entities, conditions, order, limit) => {
          await db.pglite.exec("DELETE FROM kalphite_entities");
          await db.upsertMany(entities);
          const where = Object.fromEntries(conditions);
          const predicate = (e: Item) => Object.entries(where).every(([field, c]) => matches(get(e, field), c));
          const sortKey = order === undefined ? undefined : (e: Item) => get(e, order.field);

          let expected = entities.filter(predicate);
          if (sortKey !== undefined) {
            const sign = order?.direction === "desc" ? -1 : 1;
            expected = expected.map((e, i) => ({ e, i })).sort((a, b) => sign * compareKeys(sortKey(a.e), sortKey(b.e)) || a.i - b.i).map((x) => x.e);
          }
          if (limit !== undefined) expected = expected.slice(0, limit);

          const found = await db.find<Item>("item", { where, ...(order === undefined ? {} : { orderBy: order }), ...(limit === undefined ? {} : { limit }) });
          expect(ids(found)).toEqual(ids(expected));

          const viaQuery = await db.query<Item>("item", predicate, sortKey, order?.direction);
          expect(ids(viaQuery).slice(0, limit)).toEqual(ids(found));
        },
      ),
      { numRuns: 60 },
    );
  });
});
