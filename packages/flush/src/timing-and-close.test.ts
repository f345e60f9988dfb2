import { describe, expect, it, vi } from "vitest";
import { FlushError } from "./errors";
import { MemoryFlushEngine } from "./memory-flush-engine";
import { createMemoryFlushTarget } from "./memory-flush-target";
import { entity, handled, manualTarget, reports, resolvingTarget, summary, useFakeTimersPerTest } from "./test-helpers";
import type { FlushTarget } from "./types";

useFakeTimersPerTest();

describe("maxWaitMs (defect 1)", () => {
  it("defaults to 1000 and is validated", () => {
    expect(() => new MemoryFlushEngine({ flushTarget: resolvingTarget(), maxWaitMs: -1 })).toThrow(expect.objectContaining({ code: "INVALID_CONFIG", message: expect.stringContaining("maxWaitMs") }));
    expect(() => new MemoryFlushEngine({ flushTarget: resolvingTarget(), maxWaitMs: "1s" as never })).toThrow(/maxWaitMs/);
    expect(() => new MemoryFlushEngine({ flushTarget: resolvingTarget(), isRetriable: true as never })).toThrow(/isRetriable/);
  });

  it("bounds the debounce window: with debounceMs above maxWaitMs, a batch still goes out at maxWaitMs", async () => {
    const target = resolvingTarget();
    const engine = new MemoryFlushEngine({ flushTarget: target, debounceMs: 60_000, maxWaitMs: 1000 });
    engine.scheduleFlush("a", entity("todo", "a"));
    await vi.advanceTimersByTimeAsync(999);
    expect(target).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(target).toHaveBeenCalledTimes(1);
  });

  it("while writes keep coming (every 10 ms for 5 s, into a slow target), every change reaches the target within maxWaitMs", async () => {
    const delivered = new Map<string, number>();
    const scheduled = new Map<string, number>();
    const target: FlushTarget = async (changes) => {
      await new Promise((resolve) => setTimeout(resolve, 40)); // a call takes 40 ms
      for (const change of changes) delivered.set(change.entityId, Date.now());
    };
    const engine = new MemoryFlushEngine({ flushTarget: target, debounceMs: 200, maxWaitMs: 300 });
    for (let i = 0; i < 500; i++) {
      scheduled.set(`t${i}`, Date.now());
      engine.scheduleFlush(`t${i}`, entity("todo", `t${i}`));
      await vi.advanceTimersByTimeAsync(10);
    }
    await vi.advanceTimersByTimeAsync(1000);
    expect(delivered.size).toBe(500);
    const worst = Math.max(...[...scheduled].map(([id, at]) => delivered.get(id)! - at));
    expect(worst).toBeLessThanOrEqual(300 + 40 + 40); // maxWaitMs, plus the call in flight ahead of it and its own
  });
});

describe("flush() from an error listener (defect 8)", () => {
  it("is not rejected with the failure being reported; it resolves when the next attempt succeeds", async () => {
    const memory = createMemoryFlushTarget();
    memory.failNext(1, new Error("disk busy"));
    const engine = new MemoryFlushEngine({ flushTarget: memory.target, maxRetries: 0 });
    const outcomes: string[] = [];
    engine.on("error", () => {
      engine.flush().then(
        () => outcomes.push("resolved"),
        (error: unknown) => outcomes.push(`rejected: ${(error as Error).message}`),
      );
    });
    engine.scheduleFlush("a", entity("todo", "a"));
    const first = handled(engine.flush());
    await vi.advanceTimersByTimeAsync(0);
    await expect(first).rejects.toMatchObject({ code: "DELIVERY_FAILED" });
    expect(outcomes).toEqual(["resolved"]);
    expect(memory.get("todo", "a")).toBeDefined();
  });

  it("rejects for a later real failure, not the one being reported", async () => {
    const memory = createMemoryFlushTarget();
    memory.failNext(2, new Error("still down"));
    const engine = new MemoryFlushEngine({ flushTarget: memory.target, maxRetries: 0 });
    const seen: unknown[] = [];
    let listenerFlush: Promise<void> | undefined;
    engine.on("error", (event) => {
      seen.push(event.error);
      listenerFlush ??= handled(engine.flush());
    });
    engine.scheduleFlush("a", entity("todo", "a"));
    await handled(engine.flush()).catch(() => undefined);
    await vi.advanceTimersByTimeAsync(0);
    const error = await listenerFlush!.catch((e: unknown) => e);
    expect(seen).toHaveLength(2);
    expect(error).toBe(seen[1]); // the second failure, which happened after the listener's flush()
    expect(error).not.toBe(seen[0]);
  });
});

describe("close({ timeoutMs }) (defect 11)", () => {
  it("rejects with CLOSE_TIMEOUT listing the undelivered changes, reports them, and keeps them queued", async () => {
    const manual = manualTarget(); // never settles: a hung target
    const engine = new MemoryFlushEngine({ flushTarget: manual.target });
    const errors = reports(engine);
    engine.scheduleFlush("a", entity("todo", "a"));
    engine.scheduleDelete("b", "note");
    const closing = handled(engine.close({ timeoutMs: 500 }));
    await vi.advanceTimersByTimeAsync(499);
    expect(errors).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    const error = await closing.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlushError);
    expect(error).toMatchObject({ code: "CLOSE_TIMEOUT", message: expect.stringMatching(/500.*2 change\(s\).*todo "a", note "b"/) });
    expect(summary((error as FlushError).changes)).toEqual(["upsert:todo/a", "delete:note/b"]);
    expect(errors.map((e) => e.error)).toEqual([error]);
    expect(engine.state).not.toBe("destroyed");
    expect(summary(engine.getQueuedChanges())).toEqual(["upsert:todo/a", "delete:note/b"]);
    // the hung call completing later still counts, and a plain close() then finishes
    await manual.succeed();
    await engine.close();
    expect(engine.state).toBe("destroyed");
  });

  it("resolves and destroys when delivery finishes in time; without timeoutMs it waits as long as it takes", async () => {
    const manual = manualTarget();
    const engine = new MemoryFlushEngine({ flushTarget: manual.target });
    engine.scheduleFlush("a", entity("todo", "a"));
    const closing = engine.close({ timeoutMs: 1000 });
    await vi.advanceTimersByTimeAsync(10);
    await manual.succeed();
    await closing;
    expect(engine.state).toBe("destroyed");
    expect(vi.getTimerCount()).toBe(0);

    const slow = manualTarget();
    const other = new MemoryFlushEngine({ flushTarget: slow.target });
    other.scheduleFlush("a", entity("todo", "a"));
    let closed = false;
    const pending = other.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(closed).toBe(false);
    await slow.succeed();
    await pending;
    expect(closed).toBe(true);
  });

  it("refuses a bad timeoutMs", async () => {
    const engine = new MemoryFlushEngine({ flushTarget: resolvingTarget() });
    await expect(engine.close({ timeoutMs: -5 })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(engine.close({ timeoutMs: "soon" as never })).rejects.toThrow(/timeoutMs/);
    expect(engine.state).toBe("idle");
  });
});
