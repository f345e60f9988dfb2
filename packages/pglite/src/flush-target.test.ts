import { MemoryFlushEngine, createMemoryFlushTarget, type FlushChange } from "@kalphite/flush";
import { KalphiteStore, type ChangeRecord, type ChangeSink } from "@kalphite/store";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { describeFlushTargetContract } from "@kalphite/flush/testing";
import { createFlushTarget } from "./flush-target";
import { FrontendDatabase, createFrontendDatabase } from "./frontend-database";
import { hydrate } from "./hydrate";

type TestEntity =
  | { id: string; type: "todo"; title: string; done: boolean; tags: number[] }
  | { id: string; type: "project"; name: string; owner: { name: string } };

// One database for the whole file, opened by whichever suite needs it first.
let opened: Promise<FrontendDatabase> | undefined;
const database = () => (opened ??= createFrontendDatabase({ dbName: "memory://flush-target-test" }));
const clear = async (db: FrontendDatabase) => void (await db.pglite.exec("DELETE FROM kalphite_entities"));
afterAll(async () => {
  await (await opened)?.close();
});

describeFlushTargetContract("PGlite (createFlushTarget)", async () => {
  const db = await database();
  return { target: createFlushTarget(db), entities: () => db.getAll(), reset: () => clear(db) };
});

describeFlushTargetContract("PGlite (db.asFlushTarget)", async () => {
  const db = await database();
  return { target: db.asFlushTarget(), entities: () => db.getAll(), reset: () => clear(db) };
});

describeFlushTargetContract("in-memory (createMemoryFlushTarget)", () => {
  const memory = createMemoryFlushTarget();
  return { target: memory.target, entities: async () => memory.entities(), reset: async () => memory.reset() };
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
      ...Array.from({ length: 500 }, (_, i): FlushChange => ({ operation: "upsert", entityType: "todo", entityId: `t${i}`, entity: { id: `t${i}`, type: "todo" }, timestamp: i })),
      ...Array.from({ length: 200 }, (_, i): FlushChange => ({ operation: "delete", entityType: "todo", entityId: `old${i}`, timestamp: i })),
    ];
    const query = vi.spyOn(db.pglite, "query");
    const exec = vi.spyOn(db.pglite, "exec");
    const transaction = vi.spyOn(db.pglite, "transaction");
    try {
      await createFlushTarget(db)(changes);
      expect(query).toHaveBeenCalledTimes(1);
      expect(exec).not.toHaveBeenCalled();
      expect(transaction).not.toHaveBeenCalled();
    } finally {
      vi.restoreAllMocks();
    }
    expect(await db.count()).toBe(500);
  });

  it("rejects before init() and after close(), so the engine keeps the batch and retries", async () => {
    const later = new FrontendDatabase({ dbName: "memory://flush-target-unopened" });
    const target = createFlushTarget(later);
    await expect(target([])).rejects.toMatchObject({ code: "NOT_INITIALIZED" });
    await later.close();
    await expect(target([])).rejects.toMatchObject({ code: "CLOSED" });
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

    expect(await hydrate(fresh, db)).toBe(120);
    expect([...fresh.todo]).toEqual([...store.todo]);
    expect([...fresh.project]).toEqual([...store.project]);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]!.every((r) => r.origin === "load")).toBe(true);
    expect(scheduleFlush).not.toHaveBeenCalled();
    expect(scheduleDelete).not.toHaveBeenCalled();
  });

  it("hydrate() of an empty database loads nothing", async () => {
    const store = KalphiteStore();
    expect(await hydrate(store, db)).toBe(0);
    expect(store.types()).toEqual([]);
  });
});
