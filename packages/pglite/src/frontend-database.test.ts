import { ValidationError } from "@kalphite/store";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { NonRetriableError } from "@kalphite/flush";
import { DatabaseError } from "./errors";
import { batchContext, upsertChange } from "./test-fixtures/changes";
import { FrontendDatabase, createFrontendDatabase } from "./frontend-database";

// One PGlite instance for the whole file: each costs seconds and hundreds of MB.
const Todo = z.object({ id: z.string(), type: z.literal("todo"), title: z.string().min(1), done: z.boolean(), updatedAt: z.number().optional() });
const Note = z.looseObject({ id: z.string(), type: z.literal("note") });
const schema = z.discriminatedUnion("type", [Todo, Note]);

let db: FrontendDatabase;
beforeAll(async () => {
  db = await createFrontendDatabase({ dbName: "memory://frontend-database-test", schema });
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  await db.pglite.exec("DELETE FROM kalphite_entities");
});

const todo = (id: string, title = `todo ${id}`, done = false) => ({ id, type: "todo" as const, title, done });

describe("lifecycle", () => {
  it("refuses every method before init() with NOT_INITIALIZED, and after close() with CLOSED", async () => {
    const fresh = new FrontendDatabase({ dbName: "memory://never-opened" });
    expect(fresh.state).toBe("created");
    for (const call of [() => fresh.getAll(), () => fresh.upsert("todo", "1", todo("1")), () => fresh.count(), () => fresh.backup()]) {
      await expect(call()).rejects.toMatchObject({ name: "DatabaseError", code: "NOT_INITIALIZED", message: expect.stringContaining("init()") });
    }
    expect(() => fresh.pglite).toThrow(/not initialised/);
    await fresh.close();
    await fresh.close(); // idempotent
    expect(fresh.state).toBe("closed");
    await expect(fresh.getAll()).rejects.toMatchObject({ code: "CLOSED" });
    await expect(fresh.init()).rejects.toMatchObject({ code: "CLOSED" });
  });

  it("checks the config when constructed", () => {
    expect(() => new FrontendDatabase({ dbName: "" })).toThrow(expect.objectContaining({ code: "INVALID_CONFIG" }));
    expect(() => new FrontendDatabase({ dbName: "memory://", maxStorageMB: -1 })).toThrow(/maxStorageMB/);
    expect(() => new FrontendDatabase({ dbName: "memory://", schema: {} as never })).toThrow(/Standard Schema/);
    const up = async () => undefined;
    expect(() => new FrontendDatabase({ dbName: "memory://", migrations: [{ version: 1, up }, { version: 1, up }] })).toThrow(/twice/);
    expect(() => new FrontendDatabase({ dbName: "memory://", migrations: [{ version: 0, up }] })).toThrow(/version/);
    expect(() => new FrontendDatabase({ dbName: "memory://", indexes: ["a; DROP TABLE x"] })).toThrow(expect.objectContaining({ code: "INVALID_QUERY" }));
  });

  it("is ready after init(), and init() again is harmless", async () => {
    expect(db.state).toBe("ready");
    await db.init();
    expect(await db.count()).toBe(0);
  });
});

describe("entities", () => {
  it("upserts, reads back and replaces by (type, id)", async () => {
    await db.upsert("todo", "1", todo("1", "first"));
    await db.upsert("note", "1", { body: "same id, other type" });
    expect(await db.getById("todo", "1")).toEqual(todo("1", "first"));
    expect(await db.getById("note", "1")).toEqual({ id: "1", type: "note", body: "same id, other type" });
    await db.upsert("todo", "1", todo("1", "replaced", true));
    expect(await db.getById("todo", "1")).toEqual(todo("1", "replaced", true));
    expect(await db.count()).toBe(2);
    expect(await db.count("todo")).toBe(1);
    expect(await db.getById("todo", "missing")).toBeUndefined();
  });

  it("keeps insertion order, and a replaced entity keeps its place (like a store collection)", async () => {
    for (const id of ["c", "a", "b"]) await db.upsert("todo", id, todo(id));
    await db.upsert("note", "n", {});
    await db.upsert("todo", "c", todo("c", "changed"));
    expect((await db.getByType("todo")).map((e) => e.id)).toEqual(["c", "a", "b"]);
    expect((await db.getAll()).map((e) => `${e.type}:${e.id}`)).toEqual(["todo:c", "todo:a", "todo:b", "note:n"]);
  });

  it("reads thousands of entities back in insertion order (bulk reads are chunked)", async () => {
    const many = Array.from({ length: 2500 }, (_, i) => (i % 2 ? { id: `n${2500 - i}`, type: "note", i } : todo(`t${2500 - i}`)));
    await db.upsertMany(many);
    expect(await db.getAll()).toEqual(many);
    expect(await db.getByType("note")).toEqual(many.filter((e) => e.type === "note"));
  });

  it("falls back to a row per entity when Postgres finds a chunk too big", async () => {
    await db.upsertMany([{ id: "b", type: "note" }, { id: "a", type: "note" }]);
    const query = vi.spyOn(db.pglite, "query").mockRejectedValueOnce(Object.assign(new Error("out of memory"), { code: "54000" }));
    try {
      expect((await db.getAll()).map((e) => e.id)).toEqual(["b", "a"]);
      expect(query).toHaveBeenCalledTimes(2);
    } finally {
      vi.restoreAllMocks();
    }
  });

  it("round-trips values exactly: nesting, arrays, numbers, booleans, null, unicode, large strings", async () => {
    const entity = {
      id: "exact",
      type: "note",
      nested: { deeper: { list: [1, [2, [3]], { four: 4 }], empty: {}, none: [] } },
      numbers: [0, -1, 1.5, 0.1 + 0.2, 1e21, -1e-7, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, 2 ** 53 + 2],
      flags: [true, false],
      nothing: null,
      unicode: "héllo wörld — 你好 — 🎉👩‍👩‍👧 — \u200b — ÅΩ≈ — \t\n\"quoted\" \\ back",
      large: "x".repeat(2_000_000) + "🎉",
      "key with spaces": 1,
      "": "empty key",
    };
    await db.upsert("note", "exact", entity);
    expect(await db.getById("note", "exact")).toEqual(entity);
    expect((await db.getAll())[0]).toEqual(entity);
  });

  it("fills in a missing id/type and refuses a contradicting one", async () => {
    await db.upsert("todo", "1", { title: "no id or type", done: false });
    expect(await db.getById("todo", "1")).toEqual(todo("1", "no id or type"));
    await expect(db.upsert("todo", "2", { id: "3", type: "todo", title: "x", done: false })).rejects.toBeInstanceOf(ValidationError);
    await expect(db.upsert("todo", "2", { id: "2", type: "note" })).rejects.toThrow(/type/);
    expect(await db.count()).toBe(1);
  });

  it("refuses an invalid entity with the store's ValidationError and writes nothing", async () => {
    const error = await db.upsert("todo", "bad", { title: "", done: "no" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: "VALIDATION_FAILED", entityType: "todo", entityId: "bad" });
    expect((error as ValidationError).issues.map((i) => i.path.join("."))).toEqual(expect.arrayContaining(["title", "done"]));
    expect(await db.count()).toBe(0);
  });

  it("validates flush batches too: an invalid entity refuses the whole batch, as a NonRetriableError naming it", async () => {
    const target = db.asFlushTarget();
    const bad = upsertChange({ id: "2", type: "todo", title: "" } as never);
    const error = await target([upsertChange(todo("1")), bad], batchContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonRetriableError);
    expect(error).toMatchObject({ message: expect.stringContaining('todo "2"'), changes: [bad] });
    expect((error as NonRetriableError).cause).toBeInstanceOf(ValidationError);
    expect(await db.count()).toBe(0);
  });

  it("deletes one entity and reports whether it existed", async () => {
    await db.upsert("todo", "1", todo("1"));
    expect(await db.delete("todo", "1")).toBe(true);
    expect(await db.delete("todo", "1")).toBe(false);
    expect(await db.getById("todo", "1")).toBeUndefined();
  });

  it("upsertMany writes all or nothing, with the last duplicate winning", async () => {
    expect(await db.upsertMany([todo("1"), todo("2"), { id: "n", type: "note", x: 1 }, todo("1", "again")])).toBe(3);
    expect(await db.getById("todo", "1")).toEqual(todo("1", "again"));
    expect((await db.getAll()).map((e) => e.id)).toEqual(["1", "2", "n"]);
    await expect(db.upsertMany([todo("3"), { id: "4", type: "todo", title: "" } as never])).rejects.toBeInstanceOf(ValidationError);
    expect(await db.getById("todo", "3")).toBeUndefined();
    expect(await db.upsertMany([])).toBe(0);
  });

  it("deleteMany removes ids of one type in one go and counts the ones that existed", async () => {
    await db.upsertMany([todo("1"), todo("2"), todo("3"), { id: "1", type: "note" }]);
    expect(await db.deleteMany("todo", ["1", "3", "missing", "1"])).toBe(2);
    expect((await db.getAll()).map((e) => `${e.type}:${e.id}`)).toEqual(["todo:2", "note:1"]);
    expect(await db.deleteMany("todo", [])).toBe(0);
  });

  it("query() filters with a predicate and sorts by a key, nulls last, ties in insertion order", async () => {
    await db.upsertMany([
      { id: "a", type: "note", rank: 2 },
      { id: "b", type: "note", rank: null },
      { id: "c", type: "note", rank: 1 },
      { id: "d", type: "note", rank: 2 },
      { id: "e", type: "note", rank: 3, hidden: true },
    ]);
    const ids = (list: { id: string }[]) => list.map((e) => e.id);
    type Ranked = { id: string; rank: number | null; hidden?: boolean };
    expect(ids(await db.query<Ranked>("note", (e) => !e.hidden, (e) => e.rank))).toEqual(["c", "a", "d", "b"]);
    expect(ids(await db.query<Ranked>("note", undefined, "rank", "desc"))).toEqual(["b", "e", "a", "d", "c"]);
    expect(ids(await db.query("note"))).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("refuses bad arguments with INVALID_ARGUMENT", async () => {
    await expect(db.upsert("", "1", {})).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(db.getById("todo", 1 as never)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(db.deleteMany("todo", null as never)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(db.upsertMany(42 as never)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("refuses a value no database can store (a bigint, a lone surrogate) with a ValidationError naming the path; writes nothing", async () => {
    for (const [value, path] of [[{ n: 1n }, "n"], [{ list: ["ok", "\ud800"] }, "list.1"], [{ ["\udc00key"]: 1 }, "\udc00key"]] as const) {
      const error = await db.upsert("note", "bad", value).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ entityType: "note", entityId: "bad", message: expect.stringContaining(`${path}:`) });
      await expect(db.upsertMany([{ id: "ok", type: "note" }, { id: "bad", type: "note", ...value }])).rejects.toBeInstanceOf(ValidationError);
    }
    expect(await db.count()).toBe(0);
  });
});

describe("transaction(fn)", () => {
  it("commits when fn resolves and returns its result", async () => {
    const result = await db.transaction(async (tx) => {
      await tx.upsert("todo", "1", todo("1"));
      await tx.upsertMany([todo("2"), todo("3")]);
      await tx.delete("todo", "2");
      expect(await tx.count("todo")).toBe(2);
      return "done";
    });
    expect(result).toBe("done");
    expect((await db.getByType("todo")).map((e) => e.id)).toEqual(["1", "3"]);
  });

  it("rolls back when fn throws, rethrowing fn's own error", async () => {
    await db.upsert("todo", "keep", todo("keep"));
    const boom = new Error("boom");
    await expect(
      db.transaction(async (tx) => {
        await tx.upsert("todo", "1", todo("1"));
        await tx.deleteMany("todo", ["keep"]);
        expect(await tx.getAll()).toHaveLength(1);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect((await db.getAll()).map((e) => e.id)).toEqual(["keep"]);
  });

  it("rolls back when a write inside is invalid", async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.upsert("todo", "1", todo("1"));
        await tx.upsert("todo", "2", { title: 5 });
      }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await db.count()).toBe(0);
  });

  it("offers the same reads and writes, and its handle throws once the scope ended", async () => {
    let leaked: Parameters<Parameters<typeof db.transaction>[0]>[0] | undefined;
    await db.transaction(async (tx) => {
      leaked = tx;
      await tx.upsert("note", "n", { tags: ["a"] });
      expect(await tx.getById("note", "n")).toEqual({ id: "n", type: "note", tags: ["a"] });
      expect(await tx.getByType("note")).toHaveLength(1);
      expect(await tx.find("note", { where: { tags: { ne: null } } })).toHaveLength(1);
      expect(await tx.query("note", (e) => e.id === "n")).toHaveLength(1);
      expect(tx.closed).toBe(false);
    });
    expect(leaked!.closed).toBe(true);
    await expect(leaked!.getAll()).rejects.toMatchObject({ code: "TRANSACTION_CLOSED" });
    await expect(leaked!.upsert("note", "late", {})).rejects.toMatchObject({ code: "TRANSACTION_CLOSED" });
    expect(await db.count()).toBe(1);
  });

  it("queues database calls made while a transaction runs until it ends", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const tx = db.transaction(async (t) => {
      await t.upsert("todo", "in-tx", todo("in-tx"));
      await gate;
    });
    const outside = db.getAll();
    release();
    await tx;
    expect((await outside).map((e) => e.id)).toEqual(["in-tx"]);
  });
});
