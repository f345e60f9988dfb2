import { describe, expect, it, vi } from "vitest";
import { FlushError } from "./errors";
import { MemoryFlushEngine } from "./memory-flush-engine";
import { entity, handled, manualTarget, reports, summary, useFakeTimersPerTest } from "./test-helpers";
import type { FlushFailureEvent, FlushTarget, RetryEvent } from "./types";

useFakeTimersPerTest();

/** A target failing its first `failures` calls with `new Error("down <n>")`, then succeeding. */
function flakyTarget(failures: number) {
  let calls = 0;
  return vi.fn<FlushTarget>(async () => {
    calls++;
    if (calls <= failures) throw new Error(`down ${calls}`);
  });
}

describe("retries", () => {
  it("retries with exponential backoff baseRetryDelay · 2^n, then delivers", async () => {
    const target = flakyTarget(3);
    const engine = new MemoryFlushEngine({ flushTarget: target, maxRetries: 3, baseRetryDelay: 100, random: () => 0 });
    const retries: RetryEvent[] = [];
    engine.on("retry", (event) => retries.push(event));
    engine.scheduleFlush("a", entity("todo", "a"));
    await vi.advanceTimersByTimeAsync(100); // debounce: attempt 1 fails
    expect(target).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(target).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1); // +100: attempt 2 fails
    expect(target).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(199);
    expect(target).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1); // +200: attempt 3 fails
    expect(target).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(400); // +400: attempt 4 succeeds
    expect(target).toHaveBeenCalledTimes(4);
    expect(retries.map((r) => [r.attempt, r.delay, (r.error as Error).message])).toEqual([
      [1, 100, "down 1"],
      [2, 200, "down 2"],
      [3, 400, "down 3"],
    ]);
    expect(engine.getQueuedChanges()).toEqual([]);
    expect(engine.getStats()).toMatchObject({ delivered: 1, retried: 3, failed: 0 });
  });

  it("adds up to 25 % jitter from the injected random source, capped by maxRetryDelay", async () => {
    const target = flakyTarget(3);
    const engine = new MemoryFlushEngine({ flushTarget: target, baseRetryDelay: 100, maxRetryDelay: 420, random: () => 0.5 });
    const delays: number[] = [];
    engine.on("retry", ({ delay }) => delays.push(delay));
    engine.scheduleFlush("a", entity("todo", "a"));
    await vi.advanceTimersByTimeAsync(100 + 112);
    expect(target).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(target).toHaveBeenCalledTimes(2);
    await vi.runAllTimersAsync();
    expect(delays).toEqual([113, 225, 420]); // 112.5 rounded; 450 capped
  });

  it("handles a target that throws synchronously like one that rejects", async () => {
    let calls = 0;
    const engine = new MemoryFlushEngine({
      flushTarget: () => {
        if (++calls === 1) throw new Error("sync");
        return Promise.resolve();
      },
      random: () => 0,
    });
    engine.scheduleFlush("a", entity("todo", "a"));
    vi.advanceTimersByTime(100);
    expect(calls).toBe(1);
    expect(engine.getQueuedChanges()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toBe(2);
    expect(engine.getQueuedChanges()).toEqual([]);
  });

  it("a newer change to an entity supersedes its queued retry", async () => {
    const manual = manualTarget();
    const engine = new MemoryFlushEngine({ flushTarget: manual.target, random: () => 0 });
    engine.scheduleFlush("a", entity("todo", "a", { v: 1 }));
    engine.scheduleFlush("b", entity("todo", "b", { v: 1 }));
    await vi.advanceTimersByTimeAsync(100);
    engine.scheduleFlush("c", entity("todo", "c")); // during the flight
    engine.scheduleFlush("b", entity("todo", "b", { v: 2 })); // during the flight
    await manual.fail();
    engine.scheduleDelete("a", "todo"); // while waiting to retry
    expect(summary(engine.getQueuedChanges())).toEqual(["delete:todo/a", "upsert:todo/b", "upsert:todo/c"]);
    await vi.advanceTimersByTimeAsync(100);
    // the retry carries the newest state of a and b, still ahead of c
    expect(manual.calls[0]!.changes.map((c) => [c.operation, c.entityId, c.entity])).toEqual([
      ["delete", "a", undefined],
      ["upsert", "b", { id: "b", type: "todo", v: 2 }],
      ["upsert", "c", { id: "c", type: "todo" }],
    ]);
    await manual.succeed();
    expect(manual.calls).toHaveLength(0);
    expect(engine.getQueuedChanges()).toEqual([]);
  });

  it("stops the cycle at a failing batch so later changes never overtake it", async () => {
    const manual = manualTarget();
    const engine = new MemoryFlushEngine({ flushTarget: manual.target, maxBatchSize: 1, random: () => 0 });
    engine.scheduleFlush("a", entity("todo", "a"));
    engine.scheduleFlush("b", entity("todo", "b"));
    await vi.advanceTimersByTimeAsync(100);
    await manual.fail();
    await vi.advanceTimersByTimeAsync(100);
    expect(manual.calls.map((c) => c.changes[0]!.entityId)).toEqual(["a"]);
    await manual.succeed();
    expect(manual.calls.map((c) => c.changes[0]!.entityId)).toEqual(["b"]);
  });
});

describe("after the retries are spent", () => {
  it("keeps the changes queued, reports them through error (not dead: they are not dead letters), and rejects flush() with the cause", async () => {
    const target = vi.fn<FlushTarget>(() => Promise.reject(new Error("disk on fire")));
    const engine = new MemoryFlushEngine({ flushTarget: target, maxRetries: 2, baseRetryDelay: 10, random: () => 0 });
    const errors: FlushFailureEvent[] = [];
    const dead: unknown[] = [];
    engine.on("error", (event) => errors.push(event));
    engine.on("dead", (event) => dead.push(event));
    engine.scheduleFlush("a", entity("todo", "a"));
    engine.scheduleDelete("b", "todo");
    const flushed = handled(engine.flush());
    await vi.advanceTimersByTimeAsync(10 + 20);
    expect(target).toHaveBeenCalledTimes(3); // 1 + maxRetries
    const error = await flushed.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlushError);
    expect(error).toMatchObject({ name: "FlushError", code: "DELIVERY_FAILED", cause: new Error("disk on fire") });
    expect((error as Error).message).toMatch(/2 change\(s\).*3 attempt\(s\).*disk on fire/);
    expect(errors).toHaveLength(1);
    expect(dead).toEqual([]);
    expect(engine.getDeadLetters()).toEqual([]);
    expect(summary(errors[0]!.changes)).toEqual(["upsert:todo/a", "delete:todo/b"]);
    expect(errors[0]!.attempts).toBe(3);
    expect(summary(engine.getQueuedChanges())).toEqual(["upsert:todo/a", "delete:todo/b"]);
    expect(engine.getStats()).toMatchObject({ failed: 2, retried: 4, queued: 2, delivered: 0 });
    expect(engine.state).toBe("idle");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(target).toHaveBeenCalledTimes(3); // parked: no busy retry loop
  });

  it("the next flush() tries them again, with a fresh set of retries", async () => {
    const target = flakyTarget(2);
    const engine = new MemoryFlushEngine({ flushTarget: target, maxRetries: 1, baseRetryDelay: 10, random: () => 0 });
    const failures = reports(engine);
    engine.scheduleFlush("a", entity("todo", "a"));
    const first = handled(engine.flush());
    await vi.advanceTimersByTimeAsync(10);
    await expect(first).rejects.toThrow(/down 2/);
    await expect(engine.flush()).resolves.toBeUndefined();
    expect(target).toHaveBeenCalledTimes(3);
    expect(failures).toHaveLength(1);
    expect(engine.getQueuedChanges()).toEqual([]);
  });

  it("a new change also starts a new cycle that retries the parked ones first", async () => {
    const target = flakyTarget(1);
    const engine = new MemoryFlushEngine({ flushTarget: target, maxRetries: 0 });
    const failures = reports(engine);
    engine.scheduleFlush("a", entity("todo", "a"));
    await vi.advanceTimersByTimeAsync(100);
    expect(engine.getQueuedChanges()).toHaveLength(1);
    expect(summary(failures[0]!.changes)).toEqual(["upsert:todo/a"]);
    engine.scheduleFlush("b", entity("todo", "b"));
    await vi.advanceTimersByTimeAsync(100);
    expect(summary(target.mock.calls[1]![0])).toEqual(["upsert:todo/a", "upsert:todo/b"]);
    expect(engine.getQueuedChanges()).toEqual([]);
  });

  it("rejects every pending flush() (never resolves on a lie)", async () => {
    const manual = manualTarget();
    const engine = new MemoryFlushEngine({ flushTarget: manual.target, maxRetries: 0 });
    reports(engine);
    engine.scheduleFlush("a", entity("todo", "a"));
    const one = handled(engine.flush());
    engine.scheduleFlush("b", entity("todo", "b"));
    const two = handled(engine.flush());
    await manual.fail(new Error("nope"));
    await expect(one).rejects.toMatchObject({ code: "DELIVERY_FAILED" });
    await expect(two).rejects.toMatchObject({ code: "DELIVERY_FAILED" });
  });
});

describe("an unobserved failure", () => {
  it("is logged with console.error when nobody listens to error", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const engine = new MemoryFlushEngine({ flushTarget: () => Promise.reject(new Error("unplugged")), maxRetries: 0 });
      engine.scheduleFlush("a", entity("todo", "a"));
      await vi.advanceTimersByTimeAsync(100);
      expect(log).toHaveBeenCalledWith("[kalphite] MemoryFlushEngine:", expect.objectContaining({ code: "DELIVERY_FAILED" }));
      engine.on("dead", () => {}); // dead letters only: a delivery failure is still logged
      log.mockClear();
      await handled(engine.flush()).catch(() => undefined);
      expect(log).toHaveBeenCalledTimes(1);
      engine.on("error", () => {});
      log.mockClear();
      await handled(engine.flush()).catch(() => undefined);
      expect(log).not.toHaveBeenCalled();
    } finally {
      log.mockRestore();
    }
  });
});
