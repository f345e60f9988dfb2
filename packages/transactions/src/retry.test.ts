import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Collection } from "./collection";
import { NonRetriableError } from "./errors";
import { DEFAULT_RETRY, backoffDelay, resolveRetry } from "./retry";
import { createTestCollection } from "./test-collection";

interface Todo {
  id: string;
  title: string;
  [key: string]: unknown;
}

const live: Collection<any>[] = [];
beforeEach(() => {
  vi.useFakeTimers({ now: new Date("2026-01-01T00:00:00Z") });
});
afterEach(async () => {
  for (const c of live.splice(0)) await c.dispose();
  vi.useRealTimers();
});

const setup = (options: Parameters<typeof createTestCollection<Todo>>[0] = {}) => {
  const result = createTestCollection<Todo>({ initialData: [{ id: "a", title: "A" }], ...options });
  live.push(result.collection);
  return result;
};

describe("backoff", () => {
  it("doubles from the base delay, adds at most `jitter` of it, and caps at maxDelayMs", () => {
    const noJitter = { ...DEFAULT_RETRY, random: () => 0 };
    expect([0, 1, 2, 3].map((r) => backoffDelay(r, noJitter))).toEqual([1000, 2000, 4000, 8000]);
    const fullJitter = { ...DEFAULT_RETRY, random: () => 1 };
    expect(backoffDelay(0, fullJitter)).toBe(1250);
    expect(backoffDelay(10, fullJitter)).toBe(30_000);
  });

  it("validates its options", () => {
    expect(() => resolveRetry({ jitter: 2 })).toThrow(/jitter/);
    expect(() => resolveRetry({ baseDelayMs: Number.NaN })).toThrow(/baseDelayMs/);
    expect(resolveRetry({ retries: 1 }).retries).toBe(1);
  });
});

describe("retries", () => {
  it("retries 4 times (5 attempts) with exponential backoff, recording each attempt, then fails", async () => {
    const { collection } = setup({
      retry: { random: () => 0 },
      mutationFn: { persist: () => Promise.reject(new Error("503")) },
    });
    const tx = collection.update("a", { title: "B" });
    await vi.advanceTimersByTimeAsync(0);
    expect(tx.attempts).toHaveLength(1);
    expect(tx.state).toBe("pending");
    expect(tx.attempts[0]!.error?.message).toBe("503");
    expect(tx.attempts[0]!.retry_scheduled_for?.toISOString()).toBe("2026-01-01T00:00:01.000Z");
    await vi.advanceTimersByTimeAsync(999);
    expect(tx.attempts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(tx.attempts).toHaveLength(2);
    expect(tx.attempts[1]!.started_at.toISOString()).toBe("2026-01-01T00:00:01.000Z");
    expect(tx.attempts[1]!.retry_scheduled_for?.toISOString()).toBe("2026-01-01T00:00:03.000Z");
    await vi.advanceTimersByTimeAsync(2000 + 4000 + 8000);
    expect(tx.attempts).toHaveLength(5);
    expect(tx.state).toBe("failed");
    expect(tx.current_attempt).toBe(5);
    expect(tx.attempts[4]!.retry_scheduled_for).toBeUndefined();
    expect(tx.error?.message).toBe("Persist failed after 5 attempts: 503");
    expect(collection.data["a"]?.title).toBe("A");
  });

  it("succeeds on a later attempt and passes the attempt number to persist", async () => {
    const attempts: number[] = [];
    const { collection, syncControl } = setup({
      retry: { random: () => 0 },
      mutationFn: { persist: async ({ attempt }) => void attempts.push(attempt) },
    });
    syncControl.failNextPersist();
    syncControl.failNextPersist();
    const tx = collection.update("a", { title: "B" });
    await vi.advanceTimersByTimeAsync(3000);
    expect(tx.state).toBe("completed");
    expect(attempts).toEqual([3]); // the harness failed the first two before persist ran
    expect(tx.attempts.map((a) => a.error?.message ?? "ok")).toEqual([
      "failNextPersist: simulated persist failure",
      "failNextPersist: simulated persist failure",
      "ok",
    ]);
  });

  it("is configurable: retries, delays and a custom shouldRetry", async () => {
    const { collection } = setup({
      retry: { retries: 1, baseDelayMs: 10, random: () => 0, shouldRetry: (error) => error.message !== "fatal" },
      mutationFn: { persist: () => Promise.reject(new Error("flaky")) },
    });
    const tx = collection.update("a", { title: "B" });
    await vi.advanceTimersByTimeAsync(10);
    expect(tx.state).toBe("failed");
    expect(tx.attempts).toHaveLength(2);
    const fatal = setup({
      retry: { shouldRetry: (error) => error.message !== "fatal" },
      mutationFn: { persist: () => Promise.reject(new Error("fatal")) },
    }).collection;
    const t2 = fatal.update("a", { title: "C" });
    await vi.advanceTimersByTimeAsync(0);
    expect(t2.state).toBe("failed");
    expect(t2.attempts).toHaveLength(1);
  });

  it("fails at once on NonRetriableError, with no retry scheduled", async () => {
    const { collection, syncControl } = setup();
    syncControl.failNextPersist(new NonRetriableError("422 invalid"));
    const tx = collection.update("a", { title: "B" });
    await vi.advanceTimersByTimeAsync(0);
    expect(tx.state).toBe("failed");
    expect(tx.attempts).toHaveLength(1);
    expect(tx.attempts[0]!.retry_scheduled_for).toBeUndefined();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(tx.attempts).toHaveLength(1);
  });

  it("waits while offline instead of burning attempts, and resumes when back online", async () => {
    const { collection, syncControl } = setup({ offline: true, retry: { random: () => 0 } });
    const tx = collection.update("a", { title: "B" });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(tx.state).toBe("pending");
    expect(tx.attempts).toHaveLength(0);
    syncControl.setOnline(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(tx.state).toBe("completed");
    expect(tx.attempts).toHaveLength(1);
  });

  it("does not count failures that happen while offline against the retry budget", async () => {
    let goOffline: (() => void) | undefined;
    const { collection, syncControl } = setup({
      retry: { retries: 1, random: () => 0 },
      mutationFn: {
        persist: async ({ attempt }) => {
          // The second attempt loses the connection halfway.
          if (attempt === 2) goOffline?.();
          throw new Error(`down ${attempt}`);
        },
      },
    });
    goOffline = () => syncControl.setOnline(false);
    const tx = collection.update("a", { title: "B" });
    await vi.advanceTimersByTimeAsync(0);
    expect(tx.attempts).toHaveLength(1); // counted: 1 of 1 retry used
    await vi.advanceTimersByTimeAsync(1000);
    expect(tx.attempts).toHaveLength(2); // failed offline: not counted
    expect(tx.state).toBe("pending");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(tx.attempts).toHaveLength(2); // waits while offline
    syncControl.setOnline(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(tx.attempts).toHaveLength(3);
    expect(tx.state).toBe("failed");
    expect(tx.error?.message).toBe("Persist failed after 3 attempts: down 3");
  });
});
