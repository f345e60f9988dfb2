import { describe, expect, it, vi } from "vitest";
import { MemoryFlushEngine } from "./memory-flush-engine";
import { entity, manualTarget, resolvingTarget, summary, useFakeTimersPerTest } from "./test-helpers";

useFakeTimersPerTest();

describe("debounce", () => {
  it("waits debounceMs (default 100) and sends one batch for the window", async () => {
    const target = resolvingTarget();
    const engine = new MemoryFlushEngine({ flushTarget: target });
    engine.scheduleFlush("a", entity("todo", "a"));
    await vi.advanceTimersByTimeAsync(60);
    engine.scheduleFlush("b", entity("todo", "b"));
    await vi.advanceTimersByTimeAsync(39);
    expect(target).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(target).toHaveBeenCalledTimes(1);
    expect(summary(target.mock.calls[0]![0])).toEqual(["upsert:todo/a", "upsert:todo/b"]);
  });

  it("respects a custom debounceMs and calls the target synchronously when the window closes", () => {
    const target = resolvingTarget();
    const engine = new MemoryFlushEngine({ flushTarget: target, debounceMs: 250 });
    engine.scheduleFlush("a", entity("todo", "a"));
    vi.advanceTimersByTime(249);
    expect(target).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(target).toHaveBeenCalledTimes(1);
  });

  it("arms one timer per window, not one per change", () => {
    const setTimeout = vi.fn((fn: () => void, ms: number) => globalThis.setTimeout(fn, ms));
    const engine = new MemoryFlushEngine({ flushTarget: resolvingTarget(), timers: { setTimeout, clearTimeout: (h) => globalThis.clearTimeout(h as number) } });
    for (let i = 0; i < 1000; i++) engine.scheduleFlush(`e${i % 10}`, entity("todo", `e${i % 10}`, { n: i }));
    expect(setTimeout).toHaveBeenCalledTimes(1);
    expect(setTimeout).toHaveBeenCalledWith(expect.any(Function), 100);
  });

  it("stamps each change with the time it was last scheduled, from the injected clock", async () => {
    let now = 1_000;
    const target = resolvingTarget();
    const engine = new MemoryFlushEngine({
      flushTarget: target,
      timers: { setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms), clearTimeout: (h) => globalThis.clearTimeout(h as number), now: () => now },
    });
    engine.scheduleFlush("a", entity("todo", "a"));
    now = 1_050;
    engine.scheduleFlush("a", entity("todo", "a", { v: 2 }));
    await vi.advanceTimersByTimeAsync(100);
    expect(target.mock.calls[0]![0][0]!.timestamp).toBe(1_050);
  });
});

describe("coalescing", () => {
  it("many changes to one entity become one change carrying the latest state", async () => {
    const target = resolvingTarget();
    const engine = new MemoryFlushEngine({ flushTarget: target });
    engine.scheduleFlush("a", entity("todo", "a", { v: 1 }));
    engine.scheduleFlush("b", entity("todo", "b"));
    engine.scheduleFlush("a", entity("todo", "a", { v: 2 }));
    engine.scheduleFlush("a", entity("todo", "a", { v: 3 }));
    expect(engine.getQueuedChanges()).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(100);
    expect(target).toHaveBeenCalledTimes(1);
    expect(target).toHaveBeenCalledWith(
      [
        { operation: "upsert", entityType: "todo", entityId: "a", entity: { id: "a", type: "todo", v: 3 }, timestamp: expect.any(Number), origin: "local", batchId: "flush-4" },
        { operation: "upsert", entityType: "todo", entityId: "b", entity: { id: "b", type: "todo" }, timestamp: expect.any(Number), origin: "local", batchId: "flush-2" },
      ],
      { batchIds: ["flush-1", "flush-2", "flush-3", "flush-4"], meta: {} },
    );
  });

  it("upsert then delete is a delete; delete then upsert is an upsert", async () => {
    const target = resolvingTarget();
    const engine = new MemoryFlushEngine({ flushTarget: target });
    engine.scheduleFlush("a", entity("todo", "a"));
    engine.scheduleDelete("a", "todo");
    engine.scheduleDelete("b", "todo");
    engine.scheduleFlush("b", entity("todo", "b", { back: true }));
    await vi.advanceTimersByTimeAsync(100);
    const [batch] = target.mock.calls[0]!;
    expect(batch).toEqual([
      { operation: "delete", entityType: "todo", entityId: "a", timestamp: expect.any(Number), origin: "local", batchId: "flush-2" },
      { operation: "upsert", entityType: "todo", entityId: "b", entity: { id: "b", type: "todo", back: true }, timestamp: expect.any(Number), origin: "local", batchId: "flush-4" },
    ]);
    expect("entity" in batch[0]!).toBe(false);
  });

  it("identity is (entityType, entityId): two types sharing an id stay two changes", async () => {
    const target = resolvingTarget();
    const engine = new MemoryFlushEngine({ flushTarget: target });
    engine.scheduleFlush("1", entity("todo", "1"));
    engine.scheduleFlush("1", entity("project", "1"));
    engine.scheduleDelete("1", "todo");
    await vi.advanceTimersByTimeAsync(100);
    expect(summary(target.mock.calls[0]![0])).toEqual(["delete:todo/1", "upsert:project/1"]);
  });
});

describe("batches and order", () => {
  it("sends calls of at most maxBatchSize changes, one at a time, in batch order", async () => {
    const manual = manualTarget();
    const engine = new MemoryFlushEngine({ flushTarget: manual.target, maxBatchSize: 10 });
    for (let i = 0; i < 25; i++) engine.scheduleFlush(`e${i}`, entity("todo", `e${i}`));
    engine.scheduleFlush("e21", entity("todo", "e21", { again: true })); // coalesces: the batches of e21..e24 fit in one call
    engine.scheduleFlush("e0", entity("todo", "e0", { late: true })); // would need all 26 batches in one call: goes out after the others
    await vi.advanceTimersByTimeAsync(100);
    expect(manual.calls).toHaveLength(1); // the next call waits for this one
    expect(manual.calls[0]!.changes.map((c) => c.entityId)).toEqual(["e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9"]);
    expect(manual.calls[0]!.changes[0]!.entity).toEqual({ id: "e0", type: "todo" });
    await manual.succeed();
    expect(manual.calls[0]!.changes.map((c) => c.entityId)).toEqual(["e10", "e11", "e12", "e13", "e14", "e15", "e16", "e17", "e18", "e19"]);
    await manual.succeed();
    expect(manual.calls[0]!.changes.map((c) => c.entityId)).toEqual(["e20", "e21", "e22", "e23", "e24", "e0"]);
    expect(manual.calls[0]!.changes[1]!.entity).toEqual({ id: "e21", type: "todo", again: true });
    expect(manual.calls[0]!.changes[5]!.entity).toEqual({ id: "e0", type: "todo", late: true });
    await manual.succeed();
    expect(manual.target).toHaveBeenCalledTimes(3);
    expect(engine.getQueuedChanges()).toEqual([]);
    expect(engine.state).toBe("idle");
  });

  it("a change made while its entity is in flight is delivered after it, never overtaken", async () => {
    const manual = manualTarget();
    const engine = new MemoryFlushEngine({ flushTarget: manual.target });
    engine.scheduleFlush("a", entity("todo", "a", { v: 1 }));
    await vi.advanceTimersByTimeAsync(100);
    engine.scheduleFlush("b", entity("todo", "b"));
    engine.scheduleFlush("a", entity("todo", "a", { v: 2 }));
    expect(engine.getQueuedChanges().map((c) => c.entity)).toEqual([{ id: "b", type: "todo" }, { id: "a", type: "todo", v: 2 }]);
    await manual.succeed();
    // the changes made during the flight go out right after it, in the order they were made
    expect(manual.calls[0]!.changes.map((c) => c.entity)).toEqual([{ id: "b", type: "todo" }, { id: "a", type: "todo", v: 2 }]);
    await manual.succeed();
    expect(engine.getQueuedChanges()).toEqual([]);
  });

  it("getQueuedChanges lists undelivered changes, including the batch in flight", async () => {
    const manual = manualTarget();
    const engine = new MemoryFlushEngine({ flushTarget: manual.target });
    engine.scheduleFlush("a", entity("todo", "a"));
    engine.scheduleDelete("b", "note");
    expect(summary(engine.getQueuedChanges())).toEqual(["upsert:todo/a", "delete:note/b"]);
    await vi.advanceTimersByTimeAsync(100);
    expect(summary(engine.getQueuedChanges())).toEqual(["upsert:todo/a", "delete:note/b"]);
    await manual.succeed();
    expect(engine.getQueuedChanges()).toEqual([]);
    expect(engine.getStats()).toEqual({ delivered: 2, retried: 0, failed: 0, queued: 0, batches: 1, deadLetters: 0 });
  });
});

describe("flush()", () => {
  it("delivers at once, without waiting for the debounce window", async () => {
    const target = resolvingTarget();
    const engine = new MemoryFlushEngine({ flushTarget: target, debounceMs: 10_000 });
    engine.scheduleFlush("a", entity("todo", "a"));
    await engine.flush();
    expect(target).toHaveBeenCalledTimes(1);
    expect(engine.getQueuedChanges()).toEqual([]);
  });

  it("resolves at once when nothing is queued", async () => {
    const engine = new MemoryFlushEngine({ flushTarget: resolvingTarget() });
    await expect(engine.flush()).resolves.toBeUndefined();
  });

  it("resolves only when everything scheduled before it is delivered, not later changes", async () => {
    const manual = manualTarget();
    const engine = new MemoryFlushEngine({ flushTarget: manual.target, maxBatchSize: 1 });
    engine.scheduleFlush("a", entity("todo", "a"));
    engine.scheduleFlush("b", entity("todo", "b"));
    let done = false;
    void engine.flush().then(() => (done = true));
    engine.scheduleFlush("c", entity("todo", "c")); // after the call: not awaited
    await manual.succeed(); // a
    expect(done).toBe(false);
    await manual.succeed(); // b
    expect(done).toBe(true);
    expect(manual.calls[0]!.changes[0]!.entityId).toBe("c");
  });

  it("waits for an entity re-changed during its flight to be delivered in its newest state", async () => {
    const manual = manualTarget();
    const engine = new MemoryFlushEngine({ flushTarget: manual.target });
    engine.scheduleFlush("a", entity("todo", "a", { v: 1 }));
    await vi.advanceTimersByTimeAsync(100);
    engine.scheduleFlush("a", entity("todo", "a", { v: 2 }));
    let done = false;
    void engine.flush().then(() => (done = true));
    await manual.succeed(); // v1 delivered, v2 still pending
    expect(done).toBe(false);
    expect(manual.calls[0]!.changes[0]!.entity).toEqual({ id: "a", type: "todo", v: 2 });
    await manual.succeed();
    expect(done).toBe(true);
  });
});
