import type { BaseEntity, ChangeBatch } from "@kalphite/store";
import { afterEach, beforeEach, vi } from "vitest";
import type { MemoryFlushEngine } from "./memory-flush-engine";
import type { FlushBatchContext, FlushChange, FlushFailureEvent, FlushTarget } from "./types";

/** A todo-like entity for the tests. */
export const entity = (type: string, id: string, fields: Record<string, unknown> = {}) => ({ id, type, ...fields });

/** A target whose calls stay in flight until the test settles them, oldest first. */
export function manualTarget() {
  const calls: { changes: FlushChange[]; context: FlushBatchContext; resolve: () => void; reject: (error: unknown) => void }[] = [];
  const target = vi.fn<FlushTarget>(
    (changes, context) =>
      new Promise<void>((resolve, reject) => {
        calls.push({ changes: [...changes], context, resolve, reject });
      }),
  );
  return {
    target,
    calls,
    /** Settles the oldest unsettled call. */
    async succeed() {
      calls.shift()!.resolve();
      await vi.advanceTimersByTimeAsync(0);
    },
    async fail(error: unknown = new Error("boom")) {
      calls.shift()!.reject(error);
      await vi.advanceTimersByTimeAsync(0);
    },
  };
}

/** `"op:type/id"` of each change, for compact assertions. */
export const summary = (changes: readonly FlushChange[]) =>
  changes.map((c) => `${c.operation}:${c.entityType}/${c.entityId}`);

/** Collects the engine's `error` reports (and so keeps them off the console). */
export function reports(engine: MemoryFlushEngine): FlushFailureEvent[] {
  const seen: FlushFailureEvent[] = [];
  engine.on("error", (event) => seen.push(event));
  return seen;
}

/** Marks a promise as handled (so a rejection expected later is not reported as unhandled) and returns it. */
export function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** Every test of the calling file runs on fake timers (`vi.useFakeTimers()`), restored afterwards. */
export function useFakeTimersPerTest(): void {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}

/** A flush target that accepts every batch, recording the calls. */
export const resolvingTarget = () => vi.fn<FlushTarget>(() => Promise.resolve());

/** A store batch for `scheduleBatch`: `[type, id, fields | "delete"]` triples, origin "local" unless given. */
export function storeBatch(
  batchId: string,
  changes: readonly (readonly [type: string, id: string, fields?: Record<string, unknown> | "delete"])[],
  meta?: Record<string, unknown>,
  origin: "local" | "remote" = "local",
): ChangeBatch<BaseEntity> {
  return {
    batchId,
    changes: changes.map(([type, id, fields]) =>
      fields === "delete"
        ? { operation: "delete" as const, entityType: type, entityId: id, origin }
        : { operation: "upsert" as const, entityType: type, entityId: id, entity: entity(type, id, fields), origin },
    ),
    ...(meta === undefined ? {} : { meta }),
  };
}
