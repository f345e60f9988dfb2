import { KalphiteError, KalphiteStore, type Entity } from "@kalphite/store";
import { describe, expect, it, vi } from "vitest";
import { NonRetriableError } from "./errors";
import { MemoryFlushEngine } from "./memory-flush-engine";
import { createMemoryFlushTarget } from "./memory-flush-target";
import { entity, reports, summary, useFakeTimersPerTest } from "./test-helpers";

useFakeTimersPerTest();

interface Todo extends Entity {
  readonly type: "todo";
  readonly title: string;
}
interface Project extends Entity {
  readonly type: "project";
  readonly name: string;
}

function setup(options: { maxQueueSize?: number } = {}) {
  const memory = createMemoryFlushTarget();
  const engine = new MemoryFlushEngine({ flushTarget: memory.target, ...options });
  const store = KalphiteStore<Todo | Project>(undefined, { sink: engine });
  return { memory, engine, store };
}

describe("KalphiteStore(schema, { sink: engine })", () => {
  it("every kind of local mutation reaches the target", async () => {
    const { memory, engine, store } = setup();
    store.todo.upsert("t1", { title: "one" });
    store.todo.upsertMany([entity("todo", "t2", { title: "two" }) as Todo, entity("todo", "t3", { title: "three" }) as Todo]);
    store.todo.update("t1", (draft) => {
      (draft as { title: string }).title = "one!";
    });
    store.todo.push(entity("todo", "t4", { title: "four" }) as Todo);
    store.todo.pop(); // t4
    store.todo.splice(1, 1); // t2
    store.project.upsert("p1", { name: "P" });
    store.todo.deleteMany(["t3"]);
    await engine.flush();
    expect(memory.entities()).toEqual([
      { id: "t1", type: "todo", title: "one!" },
      { id: "p1", type: "project", name: "P" },
    ]);
    store.clear();
    await engine.flush();
    expect(memory.state.size).toBe(0);
  });

  it("coalesces a burst of writes into one batch with the latest state", async () => {
    const { memory, engine, store } = setup();
    for (let i = 0; i < 50; i++) store.todo.upsert("t1", { title: `v${i}` });
    store.todo.upsert("t2", { title: "x" });
    store.todo.delete("t2");
    await vi.advanceTimersByTimeAsync(100);
    expect(memory.calls).toBe(1);
    expect(memory.changes).toBe(2);
    expect(memory.get("todo", "t1")).toEqual({ id: "t1", type: "todo", title: "v49" });
    expect(engine.getQueuedChanges()).toEqual([]);
  });

  it("keeps two types that share an id apart", async () => {
    const { memory, engine, store } = setup();
    store.todo.upsert("1", { title: "t" });
    store.project.upsert("1", { name: "p" });
    store.todo.delete("1");
    await engine.flush();
    expect(memory.get("todo", "1")).toBeUndefined();
    expect(memory.get("project", "1")).toEqual({ id: "1", type: "project", name: "p" });
  });

  it("remote changes reach the engine; loads do not", async () => {
    const { memory, engine, store } = setup();
    store.loadEntities([entity("todo", "loaded", { title: "from disk" }) as Todo]);
    expect(engine.getQueuedChanges()).toEqual([]);
    store.applyRemote([
      { operation: "upsert", entityType: "todo", entityId: "r1", entity: entity("todo", "r1", { title: "remote" }) as Todo },
      { operation: "delete", entityType: "todo", entityId: "loaded" },
    ]);
    expect(summary(engine.getQueuedChanges())).toEqual(["upsert:todo/r1", "delete:todo/loaded"]);
    await engine.flush();
    expect(memory.entities()).toEqual([{ id: "r1", type: "todo", title: "remote" }]);
  });

  it("a write refused by a full queue leaves the store unchanged", async () => {
    const { engine, store } = setup({ maxQueueSize: 1 });
    const seen: unknown[] = [];
    store.subscribe((changes) => seen.push(...changes));
    store.todo.upsert("t1", { title: "one" });
    expect(() => store.todo.upsert("t2", { title: "two" })).toThrow(expect.objectContaining({ code: "QUEUE_FULL" }));
    expect(() => store.todo.upsert("t2", { title: "two" })).toThrow(KalphiteError);
    expect(store.todo.map((t) => t.id)).toEqual(["t1"]);
    expect(store.getById("todo", "t2")).toBeUndefined();
    expect(seen).toHaveLength(1);
    store.todo.upsert("t1", { title: "one, again" }); // the queued entity still coalesces
    expect(store.todo.findById("t1")?.title).toBe("one, again");
    await engine.flush();
    store.todo.upsert("t2", { title: "two" }); // room again once delivered
    expect(store.todo).toHaveLength(2);
  });

  it("a write refused by a destroyed engine leaves the store unchanged", () => {
    const { engine, store } = setup();
    store.todo.upsert("t1", { title: "one" });
    reports(engine);
    engine.destroy();
    expect(() => store.todo.upsert("t1", { title: "changed" })).toThrow(expect.objectContaining({ code: "DESTROYED" }));
    expect(() => store.todo.delete("t1")).toThrow(expect.objectContaining({ code: "DESTROYED" }));
    expect(store.todo.findById("t1")?.title).toBe("one");
  });

  it("a store.batch reaches the target in one call, whole, with its batchId and meta, whatever maxBatchSize", async () => {
    const memory = createMemoryFlushTarget();
    const engine = new MemoryFlushEngine({ flushTarget: memory.target, maxBatchSize: 5 });
    const store = KalphiteStore<Todo | Project>(undefined, { sink: engine });
    const calls: { batchIds: readonly string[]; size: number }[] = [];
    memory.failWhen((changes, _call, context) => void calls.push({ batchIds: context.batchIds, size: changes.length }));
    store.batch(
      () => {
        for (let i = 0; i < 40; i++) store.todo.upsert(`t${i}`, { title: `#${i}` });
        store.project.upsert("p", { name: "P" });
      },
      { meta: { cursor: "c1" } },
    );
    store.todo.upsert("after", { title: "after" });
    await engine.flush();
    expect(calls.map((c) => c.size)).toEqual([41, 1]);
    expect(calls[0]!.batchIds).toHaveLength(1);
    expect(memory.getMeta("cursor")).toBe("c1");
    expect(memory.state.size).toBe(42);
  });

  it("remote batches keep their origin; a transaction is one batch", async () => {
    const { memory, engine, store } = setup();
    const origins: string[] = [];
    memory.failWhen((changes) => void origins.push(...changes.map((c) => `${c.entityId}:${c.origin}`)));
    store.applyRemote([{ operation: "upsert", entityType: "todo", entityId: "r", entity: entity("todo", "r", { title: "remote" }) as Todo }], { meta: { cursor: 3 } });
    store.transaction(() => {
      store.todo.upsert("l1", { title: "local" });
      store.todo.upsert("l2", { title: "local" });
    });
    await engine.flush();
    expect(origins).toEqual(["r:remote", "l1:local", "l2:local"]);
    expect(memory.batchIds).toHaveLength(2);
    expect(memory.getMeta("cursor")).toBe(3);
  });

  it("a store batch with a value the target refuses for good is dead-lettered whole; the store's other batches are delivered", async () => {
    const memory = createMemoryFlushTarget();
    memory.failWhen((changes) => (changes.some((c) => (c.entity as Todo | undefined)?.title.includes("\u0000")) ? new NonRetriableError("invalid byte sequence") : undefined));
    const engine = new MemoryFlushEngine({ flushTarget: memory.target });
    engine.on("error", () => {});
    const store = KalphiteStore<Todo | Project>(undefined, { sink: engine });
    store.todo.upsert("before", { title: "ok" });
    store.batch(() => {
      store.todo.upsert("nul", { title: "a\u0000b" });
      store.project.upsert("p", { name: "travels with it" });
    });
    store.todo.upsert("after", { title: "ok" });
    await engine.flush();
    expect(memory.entities().map((e) => e.id)).toEqual(["before", "after"]);
    expect(engine.getDeadLetters().map((l) => `${l.entityType}/${l.entityId}`)).toEqual(["todo/nul", "project/p"]);
    expect(store.todo.findById("nul")).toBeDefined(); // memory keeps it; the dead letter says it is not durable
  });

  it("a batch refused by a full queue leaves the store unchanged, all of it", () => {
    const { engine, store } = setup({ maxQueueSize: 2 });
    store.todo.upsert("t1", { title: "one" });
    expect(() => store.todo.upsertMany([entity("todo", "t2", { title: "2" }) as Todo, entity("todo", "t3", { title: "3" }) as Todo])).toThrow(
      expect.objectContaining({ code: "QUEUE_FULL" }),
    );
    expect(store.todo.map((t) => t.id)).toEqual(["t1"]);
    expect(summary(engine.getQueuedChanges())).toEqual(["upsert:todo/t1"]);
  });
});

