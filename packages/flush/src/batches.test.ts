import { describe, expect, it, vi } from "vitest";
import { FlushError } from "./errors";
import { MemoryFlushEngine } from "./memory-flush-engine";
import { createMemoryFlushTarget } from "./memory-flush-target";
import { entity, manualTarget, resolvingTarget, storeBatch, summary, useFakeTimersPerTest } from "./test-helpers";

useFakeTimersPerTest();

describe("scheduleBatch: a store batch is the unit of delivery", () => {
  it("delivers a store batch in one call whatever its size, never split by maxBatchSize", async () => {
    const target = resolvingTarget();
    const engine = new MemoryFlushEngine({ flushTarget: target, maxBatchSize: 10 });
    const big = storeBatch("b1", Array.from({ length: 250 }, (_, i) => ["todo", `t${i}`, { n: i }] as const));
    engine.scheduleBatch(big);
    engine.scheduleBatch(storeBatch("b2", [["todo", "after"]]));
    await engine.flush();
    expect(target).toHaveBeenCalledTimes(2);
    expect(target.mock.calls[0]![0]).toHaveLength(250);
    expect(target.mock.calls[0]![1]).toEqual({ batchIds: ["b1"], meta: {} });
    expect(summary(target.mock.calls[1]![0])).toEqual(["upsert:todo/after"]);
  });

  it("groups whole batches up to maxBatchSize changes, in order, with their ids and merged meta", async () => {
    const manual = manualTarget();
    const engine = new MemoryFlushEngine({ flushTarget: manual.target, maxBatchSize: 4 });
    engine.scheduleBatch(storeBatch("b1", [["todo", "a"], ["todo", "b"]], { cursor: 1, device: "x" }));
    engine.scheduleBatch(storeBatch("b2", [["todo", "c"], ["todo", "d"]], { cursor: 2 }));
    engine.scheduleBatch(storeBatch("b3", [["todo", "e"]], { cursor: 3 }));
    await vi.advanceTimersByTimeAsync(100);
    expect(manual.calls[0]!.context).toEqual({ batchIds: ["b1", "b2"], meta: { cursor: 2, device: "x" } });
    expect(summary(manual.calls[0]!.changes)).toEqual(["upsert:todo/a", "upsert:todo/b", "upsert:todo/c", "upsert:todo/d"]);
    await manual.succeed();
    expect(manual.calls[0]!.context).toEqual({ batchIds: ["b3"], meta: { cursor: 3 } });
    await manual.succeed();
    expect(engine.getQueuedChanges()).toEqual([]);
  });

  it("keeps each change's origin and batchId; coalescing keeps the latest", async () => {
    const target = resolvingTarget();
    const engine = new MemoryFlushEngine({ flushTarget: target });
    engine.scheduleBatch(storeBatch("r1", [["todo", "a", { v: 1 }], ["todo", "b"]], undefined, "remote"));
    engine.scheduleBatch(storeBatch("l1", [["todo", "a", { v: 2 }]]));
    await engine.flush();
    const [changes, context] = target.mock.calls[0]!;
    expect(changes.map((c) => [c.entityId, c.origin, c.batchId, c.entity])).toEqual([
      ["a", "local", "l1", { id: "a", type: "todo", v: 2 }],
      ["b", "remote", "r1", { id: "b", type: "todo" }],
    ]);
    expect(context.batchIds).toEqual(["r1", "l1"]);
  });

  it("coalesced batches travel in one call, with every batch between them (never half-durable, never overtaken)", async () => {
    const manual = manualTarget();
    const engine = new MemoryFlushEngine({ flushTarget: manual.target, maxBatchSize: 2 });
    engine.scheduleBatch(storeBatch("b1", [["todo", "x", { v: 1 }], ["todo", "y"]]));
    engine.scheduleBatch(storeBatch("b2", [["todo", "z"]]));
    engine.scheduleBatch(storeBatch("b3", [["todo", "x", { v: 2 }]])); // b1..b3 hold 3 changes > 2: not merged
    engine.scheduleBatch(storeBatch("b4", [["todo", "w"]]));
    engine.scheduleBatch(storeBatch("b5", [["todo", "w", { v: 2 }]])); // merges into b4: one unit
    await vi.advanceTimersByTimeAsync(100);
    expect(manual.calls[0]!.context.batchIds).toEqual(["b1"]);
    await manual.succeed();
    expect(manual.calls[0]!.context.batchIds).toEqual(["b2", "b3"]);
    await manual.succeed();
    expect(manual.calls[0]!.context.batchIds).toEqual(["b4", "b5"]);
    expect(manual.calls[0]!.changes.map((c) => c.entity)).toEqual([{ id: "w", type: "todo", v: 2 }]);
    await manual.succeed();
  });

  it("a batch touching an entity in flight goes out after that call, with the newer state", async () => {
    const manual = manualTarget();
    const engine = new MemoryFlushEngine({ flushTarget: manual.target });
    engine.scheduleBatch(storeBatch("b1", [["todo", "a", { v: 1 }], ["todo", "b"]]));
    await vi.advanceTimersByTimeAsync(100);
    engine.scheduleBatch(storeBatch("b2", [["todo", "a", { v: 2 }], ["todo", "c"]]));
    expect(engine.getStats().queued).toBe(3);
    await manual.succeed();
    expect(manual.calls[0]!.context.batchIds).toEqual(["b2"]);
    expect(manual.calls[0]!.changes.map((c) => c.entity)).toEqual([{ id: "a", type: "todo", v: 2 }, { id: "c", type: "todo" }]);
  });

  it("delivers a batch that carries only metadata", async () => {
    const memory = createMemoryFlushTarget();
    const engine = new MemoryFlushEngine({ flushTarget: memory.target });
    engine.scheduleBatch({ batchId: "m1", changes: [], meta: { cursor: 9 } });
    await engine.flush();
    expect(memory.getMeta("cursor")).toBe(9);
    expect(memory.batchIds).toEqual(["m1"]);
  });

  it("a retry of a failed call carries the same batches and meta", async () => {
    const memory = createMemoryFlushTarget();
    const engine = new MemoryFlushEngine({ flushTarget: memory.target, random: () => 0 });
    engine.on("retry", () => {});
    memory.failNext(1);
    engine.scheduleBatch(storeBatch("b1", [["todo", "a"]], { cursor: 1 }));
    const done = engine.flush();
    await vi.runAllTimersAsync();
    await done;
    expect(memory.batchIds).toEqual(["b1"]);
    expect(memory.getMeta("cursor")).toBe(1);
    expect(memory.get("todo", "a")).toEqual(entity("todo", "a"));
  });

  it("refuses a malformed batch whole, naming the change, and queues nothing of it", () => {
    const engine = new MemoryFlushEngine({ flushTarget: resolvingTarget() });
    const good = storeBatch("b1", [["todo", "a"]]).changes[0]!;
    const cases: unknown[] = [
      null,
      { batchId: "", changes: [] },
      { batchId: "b1", changes: "nope" },
      { batchId: "b1", changes: [good, { operation: "upsert", entityType: "todo", entityId: "x", entity: entity("todo", "y"), origin: "local" }] },
      { batchId: "b1", changes: [good, { operation: "delete", entityType: "", entityId: "x", origin: "local" }] },
      { batchId: "b1", changes: [good, { operation: "move", entityType: "todo", entityId: "x", origin: "local" }] },
      { batchId: "b1", changes: [good, { operation: "delete", entityType: "todo", entityId: "x", origin: "elsewhere" }] },
      { batchId: "b1", changes: [good], meta: [1, 2] },
    ];
    for (const bad of cases) {
      expect(() => engine.scheduleBatch(bad as never)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    }
    expect(() => engine.scheduleBatch(cases[3] as never)).toThrow(/change 1 .*todo "x"/);
    expect(engine.getQueuedChanges()).toEqual([]);
    expect(engine.state).toBe("idle");
  });

  it("refuses a batch past maxQueueSize whole with QUEUE_FULL, and after destroy with DESTROYED", () => {
    const engine = new MemoryFlushEngine({ flushTarget: resolvingTarget(), maxQueueSize: 3 });
    engine.scheduleBatch(storeBatch("b1", [["todo", "a"], ["todo", "b"]]));
    expect(() => engine.scheduleBatch(storeBatch("b2", [["todo", "a", { v: 2 }], ["todo", "c"], ["todo", "d"]]))).toThrow(
      expect.objectContaining({ code: "QUEUE_FULL", message: expect.stringContaining("batch b2") }),
    );
    expect(summary(engine.getQueuedChanges())).toEqual(["upsert:todo/a", "upsert:todo/b"]);
    expect(engine.getQueuedChanges()[0]!.entity).toEqual(entity("todo", "a"));
    engine.scheduleBatch(storeBatch("b3", [["todo", "a", { v: 3 }], ["todo", "c"]])); // one new entity fits
    engine.on("error", () => {});
    engine.destroy();
    expect(() => engine.scheduleBatch(storeBatch("b4", [["todo", "z"]]))).toThrow(FlushError);
  });

  it("scheduleFlush and scheduleDelete are batches of one, origin local, each with a fresh batchId", async () => {
    const target = resolvingTarget();
    const engine = new MemoryFlushEngine({ flushTarget: target });
    engine.scheduleFlush("a", entity("todo", "a"));
    engine.scheduleDelete("b", "todo");
    await engine.flush();
    const [changes, context] = target.mock.calls[0]!;
    expect(changes.map((c) => c.origin)).toEqual(["local", "local"]);
    expect(new Set(context.batchIds).size).toBe(2);
    expect(changes.map((c) => c.batchId)).toEqual(context.batchIds);
  });
});
