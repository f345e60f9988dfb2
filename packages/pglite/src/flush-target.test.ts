import { MemoryFlushEngine, createMemoryFlushTarget, type FlushChange } from "@kalphite/flush";
import { NonRetriableError } from "@kalphite/flush";
import { KalphiteStore, ValidationError, type ChangeRecord, type ChangeSink } from "@kalphite/store";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { describeFlushTargetContract } from "@kalphite/flush/testing";
import { createFlushTarget } from "./flush-target";
import { FrontendDatabase, createFrontendDatabase } from "./frontend-database";
import { hydrate } from "./hydrate";
import { batchContext, deleteChange, upsertChange } from "./test-fixtures/changes";

type TestEntity =
  | { id: string; type: "todo"; title: string; done: boolean; tags: number[] }
  | { id: string; type: "project"; name: string; owner: { name: string } };

// One database for the whole file, opened by whichever suite needs it first.
let opened: Promise<FrontendDatabase> | undefined;
const database = () => (opened ??= createFrontendDatabase({ dbName: "memory://flush-target-test" }));
const clear = async (db: FrontendDatabase) => void (await db.pglite.exec("DELETE FROM kalphite_entities; DELETE FROM kalphite_meta;"));
afterAll(async () => {
  await (await opened)?.close();
});

describeFlushTargetContract("PGlite (createFlushTarget)", async () => {
  const db = await database();
  return { target: createFlushTarget(db), entities: () => db.getAll(), meta: (key: string) => db.getMeta(key), reset: () => clear(db) };
});

describeFlushTargetContract("PGlite (db.asFlushTarget)", async () => {
  const db = await database();
  return { target: db.asFlushTarget(), entities: () => db.getAll(), meta: (key: string) => db.getMeta(key), reset: () => clear(db) };
});

describeFlushTargetContract("in-memory (createMemoryFlushTarget)", () => {
  const memory = createMemoryFlushTarget();
  return { target: memory.target, entities: async () => memory.entities(), meta: async (key: string) => memory.getMeta(key), reset: async () => memory.reset() };
});

describe("the PGlite flush target", () => {
  let db: FrontendDatabase;
  beforeEach(async () => {
    db = await database();
    await clear(db);
  });

  it("applies a mixed batch with one SQL statement, not one per row", async () => {
    await db.upsertMany(Array.from({ length: 200 }, (_, i) => ({ id: `old${i}`, type: "todo" })));
    const changes: FlushChange[] = [
      ...Array.from({ length: 500 }, (_, i): FlushChange => upsertChange({ id: `t${i}`, type: "todo" })),
      ...Array.from({ length: 200 }, (_, i): FlushChange => deleteChange("todo", `old${i}`)),
    ];
    const query = vi.spyOn(db.pglite, "query");
    const exec = vi.spyOn(db.pglite, "exec");
    const transaction = vi.spyOn(db.pglite, "transaction");
    try {
      await createFlushTarget(db)(changes, batchContext({ cursor: 42, other: "x" }));
      expect(query).toHaveBeenCalledTimes(1);
      expect(exec).not.toHaveBeenCalled();
      expect(transaction).not.toHaveBeenCalled();
    } finally {
      vi.restoreAllMocks();
    }
    expect(await db.count()).toBe(500);
    expect(await db.getMeta("cursor")).toBe(42);
  });

  it("rejects before init() and after close(), so the engine keeps the batch and retries", async () => {
    const later = new FrontendDatabase({ dbName: "memory://flush-target-unopened" });
    const target = createFlushTarget(later);
    await expect(target([], batchContext())).rejects.toMatchObject({ code: "NOT_INITIALIZED" });
    await later.close();
    await expect(target([], batchContext())).rejects.toMatchObject({ code: "CLOSED" });
  });
});

describe("metadata with the data (context.meta)", () => {
  let db: FrontendDatabase;
  beforeEach(async () => {
    db = await database();
    await clear(db);
  });

  it("writes a batch's meta with its changes, and getMeta reads it back; a later batch overwrites, undefined removes", async () => {
    const target = createFlushTarget(db);
    await target([upsertChange({ id: "1", type: "todo" })], batchContext({ cursor: { version: 7, at: "a\u0000b" }, "k\u0000": [1, "two", null] }));
    expect(await db.getMeta("cursor")).toEqual({ version: 7, at: "a\u0000b" });
    expect(await db.getMeta("k\u0000")).toEqual([1, "two", null]);
    expect(await db.getMeta("never")).toBeUndefined();
    await target([], batchContext({ cursor: 8, "k\u0000": undefined }));
    expect(await db.getMeta("cursor")).toBe(8);
    expect(await db.getMeta("k\u0000")).toBeUndefined();
    await db.asFlushTarget()([deleteChange("todo", "1")], batchContext({ cursor: null }));
    expect(await db.getMeta("cursor")).toBeNull();
    expect(await db.count()).toBe(0);
  });

  it("is all or nothing with the entities: an entity the database refuses keeps the meta out, and a meta the database refuses keeps the entities out", async () => {
    const target = createFlushTarget(db);
    await target([upsertChange({ id: "0", type: "todo" })], batchContext({ cursor: 1 }));
    await db.pglite.exec("ALTER TABLE kalphite_entities ADD CONSTRAINT test_no_boom CHECK (NOT data ? 'boom')");
    await db.pglite.exec("ALTER TABLE kalphite_meta ADD CONSTRAINT test_no_bad_meta CHECK (value <> '\"bad\"'::jsonb)");
    try {
      await expect(target([upsertChange({ id: "1", type: "todo" }), upsertChange({ id: "2", type: "todo", boom: true })], batchContext({ cursor: 2 }))).rejects.toBeInstanceOf(NonRetriableError);
      expect(await db.getMeta("cursor")).toBe(1);
      await expect(target([upsertChange({ id: "3", type: "todo" }), deleteChange("todo", "0")], batchContext({ cursor: 3, note: "bad" }))).rejects.toBeInstanceOf(NonRetriableError);
      expect(await db.getMeta("cursor")).toBe(1);
      expect((await db.getAll()).map((e) => e.id)).toEqual(["0"]);
    } finally {
      await db.pglite.exec("ALTER TABLE kalphite_entities DROP CONSTRAINT test_no_boom; ALTER TABLE kalphite_meta DROP CONSTRAINT test_no_bad_meta;");
    }
  });

  it("refuses meta that can never be stored as a NonRetriableError naming every change of the batch", async () => {
    const changes = [upsertChange({ id: "1", type: "todo" }), deleteChange("todo", "2")];
    const error = await createFlushTarget(db)(changes, batchContext({ cursor: 1n as unknown })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonRetriableError);
    expect((error as NonRetriableError).changes).toEqual(changes);
    expect(await db.count()).toBe(0);
  });

  it("setMeta/getMeta work on their own and inside a transaction, which rolls them back with its entities", async () => {
    await db.setMeta("cursor", { v: 1 });
    expect(await db.getMeta("cursor")).toEqual({ v: 1 });
    await db.setMeta("__proto__", { polluted: true });
    expect(await db.getMeta("__proto__")).toEqual({ polluted: true });
    await expect(
      db.transaction(async (tx) => {
        await tx.upsert("todo", "1", {});
        await tx.setMeta("cursor", { v: 2 });
        expect(await tx.getMeta("cursor")).toEqual({ v: 2 });
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect(await db.getMeta("cursor")).toEqual({ v: 1 });
    await db.setMeta("cursor", undefined);
    expect(await db.getMeta("cursor")).toBeUndefined();
    await expect(db.setMeta("cursor", { n: 1n })).rejects.toBeInstanceOf(ValidationError);
  });
});

describe("a store, a flush engine and the database", () => {
  let db: FrontendDatabase;
  beforeEach(async () => {
    db = await database();
    await clear(db);
  });

  it("makes store writes durable through MemoryFlushEngine, and hydrate() brings them back", async () => {
    const engine = new MemoryFlushEngine({ flushTarget: createFlushTarget(db), debounceMs: 1, maxBatchSize: 50 });
    const store = KalphiteStore<TestEntity>(undefined, { sink: engine });
    for (let i = 0; i < 120; i++) store.todo.upsert(`t${i}`, { title: `todo ${i}`, done: i % 2 === 0, tags: [i] });
    store.project.upsert("p", { name: "P", owner: { name: "Ann" } });
    store.todo.delete("t5");
    store.todo.update("t7", (draft) => {
      draft.title = "changed";
    });
    await engine.close();
    expect(await db.count("todo")).toBe(119);
    expect(await db.getById("todo", "t7")).toMatchObject({ title: "changed" });

    const scheduleFlush = vi.fn<ChangeSink["scheduleFlush"]>();
    const scheduleDelete = vi.fn<ChangeSink["scheduleDelete"]>();
    const fresh = KalphiteStore<TestEntity>(undefined, { sink: { scheduleFlush, scheduleDelete } });
    const notifications: (readonly ChangeRecord<TestEntity>[])[] = [];
    fresh.subscribe((records) => notifications.push(records));

    expect(await hydrate(fresh, db)).toEqual({ loaded: 120, invalid: [] });
    expect([...fresh.todo]).toEqual([...store.todo]);
    expect([...fresh.project]).toEqual([...store.project]);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]!.every((r) => r.origin === "load")).toBe(true);
    expect(scheduleFlush).not.toHaveBeenCalled();
    expect(scheduleDelete).not.toHaveBeenCalled();
  });

  it("hydrate() quarantines rows today's schema refuses: reported with type, id and error, kept in the database, the rest loaded", async () => {
    const Todo = z.object({ id: z.string(), type: z.literal("todo"), title: z.string(), done: z.boolean() });
    const schema = z.discriminatedUnion("type", [Todo]);
    await db.upsertMany([
      { id: "ok", type: "todo", title: "fine", done: false },
      { id: "old", type: "todo", title: "from before `done` existed" },
      { id: "x", type: "gone", what: "a type the schema dropped" },
    ]);
    const store = KalphiteStore(schema);
    const result = await hydrate(store, db);
    expect(result.loaded).toBe(1);
    expect(result.invalid.map(({ entityType, entityId }) => [entityType, entityId])).toEqual([["todo", "old"], ["gone", "x"]]);
    expect(result.invalid[0]!.error).toBeInstanceOf(ValidationError);
    expect(result.invalid[0]!.error.message).toContain("done");
    expect(result.invalid[0]!.entity).toEqual({ id: "old", type: "todo", title: "from before `done` existed" });
    expect(store.todo.map((t) => t.id)).toEqual(["ok"]);
    expect(await db.count()).toBe(3); // never deleted

    const strict = KalphiteStore(schema);
    await expect(hydrate(strict, db, { onInvalid: "throw" })).rejects.toBeInstanceOf(ValidationError);
    expect(strict.todo.length).toBe(0);
    await expect(hydrate(strict, db, { onInvalid: "drop" as never })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("hydrate() of an empty database loads nothing", async () => {
    const store = KalphiteStore();
    expect(await hydrate(store, db)).toEqual({ loaded: 0, invalid: [] });
    expect(store.types()).toEqual([]);
  });
});
