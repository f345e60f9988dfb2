import { KalphiteError } from "@kalphite/store";
import { describe, expect, it, vi } from "vitest";
import { FlushError } from "./errors";
import { MemoryFlushEngine } from "./memory-flush-engine";
import { entity, handled, manualTarget, reports, resolvingTarget, summary, useFakeTimersPerTest } from "./test-helpers";
import type { FlushConfig, FlushFailureEvent, FlushTarget } from "./types";

useFakeTimersPerTest();

describe("pauseFlush / resumeFlush", () => {
  it("holds delivery while scheduling still works; resume delivers what accumulated", async () => {
    const target = resolvingTarget();
    const engine = new MemoryFlushEngine({ flushTarget: target });
    engine.scheduleFlush("a", entity("todo", "a"));
    engine.pauseFlush();
    expect(engine.state).toBe("paused");
    engine.scheduleFlush("b", entity("todo", "b"));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(target).not.toHaveBeenCalled();
    expect(engine.getQueuedChanges()).toHaveLength(2);
    engine.resumeFlush();
    expect(target).toHaveBeenCalledTimes(1);
    expect(summary(target.mock.calls[0]![0])).toEqual(["upsert:todo/a", "upsert:todo/b"]);
    await vi.advanceTimersByTimeAsync(0);
    expect(engine.state).toBe("idle");
  });

  it("lets a batch in flight complete but starts no new one", async () => {
    const manual = manualTarget();
    const engine = new MemoryFlushEngine({ flushTarget: manual.target, maxBatchSize: 1 });
    engine.scheduleFlush("a", entity("todo", "a"));
    engine.scheduleFlush("b", entity("todo", "b"));
    await vi.advanceTimersByTimeAsync(100);
    engine.pauseFlush();
    await manual.succeed();
    expect(manual.target).toHaveBeenCalledTimes(1);
    expect(summary(engine.getQueuedChanges())).toEqual(["upsert:todo/b"]);
    engine.resumeFlush();
    expect(manual.target).toHaveBeenCalledTimes(2);
  });

  it("cancels a pending retry; resume retries right away", async () => {
    const manual = manualTarget();
    const engine = new MemoryFlushEngine({ flushTarget: manual.target, baseRetryDelay: 1_000 });
    engine.scheduleFlush("a", entity("todo", "a"));
    await vi.advanceTimersByTimeAsync(100);
    await manual.fail();
    engine.pauseFlush();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(manual.target).toHaveBeenCalledTimes(1);
    engine.resumeFlush();
    expect(manual.target).toHaveBeenCalledTimes(2);
  });

  it("flush() while paused waits for resumeFlush()", async () => {
    const target = resolvingTarget();
    const engine = new MemoryFlushEngine({ flushTarget: target });
    engine.pauseFlush();
    engine.scheduleFlush("a", entity("todo", "a"));
    let done = false;
    void engine.flush().then(() => (done = true));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(done).toBe(false);
    engine.resumeFlush();
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
  });
});

describe("destroy / close", () => {
  it("destroy() cancels timers; scheduling afterwards throws DESTROYED", async () => {
    const target = resolvingTarget();
    const engine = new MemoryFlushEngine({ flushTarget: target });
    const lost = reports(engine);
    engine.scheduleFlush("a", entity("todo", "a"));
    engine.destroy();
    expect(vi.getTimerCount()).toBe(0);
    expect(lost).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(target).not.toHaveBeenCalled();
    expect(engine.state).toBe("destroyed");
    expect(() => engine.scheduleFlush("b", entity("todo", "b"))).toThrow(expect.objectContaining({ code: "DESTROYED" }));
    expect(() => engine.scheduleDelete("b", "todo")).toThrow(FlushError);
    await expect(engine.flush()).rejects.toMatchObject({ code: "DESTROYED" });
    engine.destroy(); // idempotent
  });

  it("destroy() reports undelivered changes, keeps them readable, and rejects pending flush() calls", async () => {
    const manual = manualTarget();
    const engine = new MemoryFlushEngine({ flushTarget: manual.target });
    const reports: FlushFailureEvent[] = [];
    engine.on("error", (event) => reports.push(event));
    engine.scheduleFlush("a", entity("todo", "a"));
    const pending = handled(engine.flush());
    engine.destroy();
    await expect(pending).rejects.toMatchObject({ code: "DESTROYED" });
    expect(reports).toHaveLength(1);
    expect(reports[0]!.error.code).toBe("DESTROYED");
    expect(summary(reports[0]!.changes)).toEqual(["upsert:todo/a"]);
    await manual.succeed(); // the batch that was in flight lands; nothing is emitted any more
    expect(engine.getQueuedChanges()).toEqual([]);
    await expect(engine.close()).rejects.toMatchObject({ code: "DESTROYED" });
  });

  it("close() flushes everything, then destroys", async () => {
    const target = resolvingTarget();
    const engine = new MemoryFlushEngine({ flushTarget: target });
    engine.scheduleFlush("a", entity("todo", "a"));
    engine.pauseFlush();
    await engine.close();
    expect(target).toHaveBeenCalledTimes(1);
    expect(engine.state).toBe("destroyed");
    await expect(engine.close()).resolves.toBeUndefined();
  });

  it("close() that cannot deliver rejects and leaves the engine open with its queue", async () => {
    const target = vi.fn<FlushTarget>(() => Promise.reject(new Error("offline")));
    const engine = new MemoryFlushEngine({ flushTarget: target, maxRetries: 0 });
    reports(engine);
    engine.scheduleFlush("a", entity("todo", "a"));
    await expect(engine.close()).rejects.toMatchObject({ code: "DELIVERY_FAILED", cause: new Error("offline") });
    expect(engine.state).toBe("idle");
    expect(engine.getQueuedChanges()).toHaveLength(1);
    target.mockResolvedValue(undefined);
    await engine.close();
    expect(engine.state).toBe("destroyed");
  });
});

describe("memory-only mode (enablePersistence: false)", () => {
  it("accepts and discards changes; the target is never called", async () => {
    const target = resolvingTarget();
    const engine = new MemoryFlushEngine({ flushTarget: target, enablePersistence: false });
    engine.scheduleFlush("a", entity("todo", "a"));
    engine.scheduleDelete("a", "todo");
    expect(engine.getQueuedChanges()).toEqual([]);
    await engine.flush();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(target).not.toHaveBeenCalled();
    expect(new MemoryFlushEngine({ enablePersistence: false } as FlushConfig).state).toBe("idle");
  });
});

describe("maxQueueSize", () => {
  it("refuses a new entity past the limit with QUEUE_FULL, still coalesces queued ones, and frees up on delivery", async () => {
    const engine = new MemoryFlushEngine({ flushTarget: resolvingTarget(), maxQueueSize: 2 });
    engine.scheduleFlush("a", entity("todo", "a"));
    engine.scheduleFlush("a", entity("project", "a"));
    const refused = (() => {
      try {
        engine.scheduleFlush("b", entity("todo", "b"));
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(KalphiteError);
    expect(refused).toMatchObject({ name: "FlushError", code: "QUEUE_FULL" });
    expect(() => engine.scheduleDelete("c", "todo")).toThrow(/queue full/i);
    engine.scheduleFlush("a", entity("todo", "a", { v: 2 })); // coalesces
    engine.scheduleDelete("a", "project"); // coalesces
    expect(summary(engine.getQueuedChanges())).toEqual(["upsert:todo/a", "delete:project/a"]);
    await engine.flush();
    engine.scheduleFlush("b", entity("todo", "b"));
    expect(engine.getStats().queued).toBe(1);
  });

  it("counts an entity changed during its flight once", async () => {
    const manual = manualTarget();
    const engine = new MemoryFlushEngine({ flushTarget: manual.target, maxQueueSize: 1 });
    engine.scheduleFlush("a", entity("todo", "a"));
    await vi.advanceTimersByTimeAsync(100);
    engine.scheduleFlush("a", entity("todo", "a", { v: 2 }));
    expect(() => engine.scheduleFlush("b", entity("todo", "b"))).toThrow(expect.objectContaining({ code: "QUEUE_FULL" }));
    await manual.succeed();
    expect(engine.getStats().queued).toBe(1);
  });
});

describe("bad input", () => {
  it.each<[string, unknown]>([
    ["no config", undefined],
    ["no target", {}],
    ["a target that is not a function", { flushTarget: "db" }],
    ["a negative debounce", { flushTarget: async () => {}, debounceMs: -1 }],
    ["a NaN debounce", { flushTarget: async () => {}, debounceMs: Number.NaN }],
    ["a negative baseRetryDelay", { flushTarget: async () => {}, baseRetryDelay: -5 }],
    ["a delay setTimeout cannot honour", { flushTarget: async () => {}, maxRetryDelay: 2 ** 31 }],
    ["a negative maxRetries", { flushTarget: async () => {}, maxRetries: -1 }],
    ["a fractional maxRetries", { flushTarget: async () => {}, maxRetries: 1.5 }],
    ["a batch size < 1", { flushTarget: async () => {}, maxBatchSize: 0 }],
    ["a queue size < 1", { flushTarget: async () => {}, maxQueueSize: 0 }],
    ["a non-boolean enablePersistence", { flushTarget: async () => {}, enablePersistence: "yes" }],
    ["timers without clearTimeout", { flushTarget: async () => {}, timers: { setTimeout } }],
    ["a random that is not a function", { flushTarget: async () => {}, random: 0.5 }],
  ])("throws INVALID_CONFIG at construction for %s", (_, config) => {
    expect(() => new MemoryFlushEngine(config as FlushConfig)).toThrow(
      expect.objectContaining({ name: "FlushError", code: "INVALID_CONFIG", message: expect.stringMatching(/^MemoryFlushEngine: /) }),
    );
  });

  it("names the option and the value", () => {
    expect(() => new MemoryFlushEngine({ flushTarget: async () => {}, maxBatchSize: 0 })).toThrow("maxBatchSize must be an integer ≥ 1, got 0");
  });

  it("refuses malformed scheduling calls with INVALID_ARGUMENT", () => {
    const engine = new MemoryFlushEngine({ flushTarget: async () => {} });
    const bad = (fn: () => void) => expect(fn).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    bad(() => engine.scheduleFlush("a", { id: "a" } as never));
    bad(() => engine.scheduleFlush("a", entity("todo", "b")));
    bad(() => engine.scheduleFlush("a", null as never));
    bad(() => engine.scheduleDelete("a", undefined as never));
    bad(() => engine.scheduleDelete("", "todo"));
    expect(engine.getQueuedChanges()).toEqual([]);
  });
});

describe("events and timers", () => {
  it("emits flushed with the batch; a throwing listener does not stop the others", async () => {
    const onListenerError = vi.fn();
    const engine = new MemoryFlushEngine({ flushTarget: async () => {}, onListenerError });
    const seen: string[][] = [];
    engine.on("flushed", () => {
      throw new Error("bad listener");
    });
    const off = engine.on("flushed", ({ changes, attempt }) => seen.push([...summary(changes), `attempt ${attempt}`]));
    engine.scheduleFlush("a", entity("todo", "a"));
    await engine.flush();
    off();
    engine.scheduleFlush("b", entity("todo", "b"));
    await engine.flush();
    expect(seen).toEqual([["upsert:todo/a", "attempt 1"]]);
    expect(onListenerError).toHaveBeenCalledTimes(2);
    expect(onListenerError).toHaveBeenCalledWith(new Error("bad listener"), "flushed");
  });

  it("runs on injected timers without touching the global ones", async () => {
    vi.useRealTimers();
    const queue: { fn: () => void; ms: number }[] = [];
    const timers = { setTimeout: (fn: () => void, ms: number) => queue.push({ fn, ms }), clearTimeout: vi.fn() };
    const target = vi.fn<FlushTarget>(async () => {});
    const engine = new MemoryFlushEngine({ flushTarget: target, timers, debounceMs: 42 });
    engine.scheduleFlush("a", entity("todo", "a"));
    expect(queue.map((t) => t.ms)).toEqual([42]);
    queue.shift()!.fn();
    expect(target).toHaveBeenCalledTimes(1);
    await Promise.resolve();
    expect(engine.getQueuedChanges()).toEqual([]);
  });

  it("reads the global timers at call time, so fake timers installed after construction apply", async () => {
    vi.useRealTimers();
    const target = vi.fn<FlushTarget>(async () => {});
    const engine = new MemoryFlushEngine({ flushTarget: target });
    vi.useFakeTimers();
    engine.scheduleFlush("a", entity("todo", "a"));
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(target).toHaveBeenCalledTimes(1);
  });

  it("ignores a timer that fires after it was cleared (timers that cannot cancel)", async () => {
    const fired: (() => void)[] = [];
    const target = vi.fn<FlushTarget>(async () => {});
    const engine = new MemoryFlushEngine({ flushTarget: target, timers: { setTimeout: (fn) => fired.push(fn), clearTimeout: () => {} } });
    engine.scheduleFlush("a", entity("todo", "a"));
    await engine.flush(); // clears the debounce timer and delivers
    fired[0]!();
    expect(target).toHaveBeenCalledTimes(1);
    expect(engine.state).toBe("idle");
  });
});
