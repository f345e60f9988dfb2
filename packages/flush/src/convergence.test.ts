import { KalphiteStore, type BaseEntity, type Entity } from "@kalphite/store";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { MemoryFlushEngine } from "./memory-flush-engine";
import { useFakeTimersPerTest } from "./test-helpers";
import { createMemoryFlushTarget, flushKey } from "./memory-flush-target";
import type { FlushTarget } from "./types";

useFakeTimersPerTest();

interface Todo extends Entity {
  readonly type: "todo";
  readonly v: number;
}
interface Note extends Entity {
  readonly type: "note";
  readonly v: number;
}
type Item = Todo | Note;

const type = fc.constantFrom("todo" as const, "note" as const);
const id = fc.constantFrom("1", "2", "3");
const op = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("upsert" as const), type, id }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), type, id }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 250 }) }) },
);
const config = fc.record({
  debounceMs: fc.integer({ min: 0, max: 100 }),
  maxRetries: fc.integer({ min: 0, max: 3 }),
  baseRetryDelay: fc.integer({ min: 0, max: 50 }),
  maxBatchSize: fc.integer({ min: 1, max: 4 }),
});

function stateOf(store: KalphiteStore<Item>): Map<string, BaseEntity> {
  const state = new Map<string, BaseEntity>();
  for (const t of ["todo", "note"] as const) for (const e of store[t]) state.set(flushKey(e.type, e.id), e);
  return state;
}

describe("convergence (property)", () => {
  it("after flush() resolves, the target's state equals the store's, whatever the writes and (finite) failures", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 40 }),
        fc.array(fc.boolean(), { maxLength: 12 }),
        fc.integer({ min: 0, max: 60 }),
        config,
        async (ops, failures, latency, options) => {
          const memory = createMemoryFlushTarget();
          const lastDelivered = new Map<string, number>();
          let call = 0;
          const target: FlushTarget = async (changes, context) => {
            const fail = failures[call++] ?? false;
            await new Promise((resolve) => setTimeout(resolve, latency));
            if (fail) throw new Error("injected");
            // a change is never overtaken by an older version of the same entity
            for (const change of changes) {
              if (change.entity === undefined) continue;
              const key = flushKey(change.entityType, change.entityId);
              expect((change.entity as Item).v).toBeGreaterThan(lastDelivered.get(key) ?? -1);
              lastDelivered.set(key, (change.entity as Item).v);
            }
            await memory.target(changes, context);
          };
          const engine = new MemoryFlushEngine({ flushTarget: target, random: () => 0.5, ...options });
          engine.on("error", () => {}); // failures are expected here
          const store = KalphiteStore<Item>(undefined, { sink: engine });
          let v = 0;
          for (const step of ops) {
            if (step.kind === "wait") await vi.advanceTimersByTimeAsync(step.ms);
            else if (step.kind === "upsert") store[step.type].upsert(step.id, { v: v++ });
            else store[step.type].delete(step.id);
          }
          // failures eventually stop: flush until it resolves
          for (let round = 0; ; round++) {
            expect(round).toBeLessThan(failures.length + 2);
            const flushed = engine.flush();
            flushed.catch(() => undefined);
            await vi.runAllTimersAsync();
            const ok = await flushed.then(
              () => true,
              () => false,
            );
            if (ok) break;
          }
          expect(memory.state).toEqual(stateOf(store));
          expect(engine.getQueuedChanges()).toEqual([]);
          expect(engine.getStats().queued).toBe(0);
          expect(vi.getTimerCount()).toBe(0); // an idle engine holds no timer
          engine.destroy();
        },
      ),
      { numRuns: 300 },
    );
  });
});
