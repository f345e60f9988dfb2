import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { NonRetriableError } from "./errors";
import { getLockedObjects } from "./locks";
import { createTestCollection } from "./test-collection";
import { manualMutationFn } from "./test-helpers";
import type { AnyItem as Item, PendingMutation, Transaction } from "./types";

type Op =
  | { kind: "insert"; id: string; v: string }
  | { kind: "update"; id: string; v: string }
  | { kind: "delete"; id: string }
  | { kind: "batch"; first: string; second: string; v: string }
  | { kind: "emit"; id: string; v: string | null }
  | { kind: "settle"; index: number; outcome: "ok" | "retry" | "fatal" }
  | { kind: "tick" };

const ids = fc.constantFrom("a", "b", "c");
const value = fc.string({ unit: "binary", maxLength: 6 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("insert" as const), id: ids, v: value }),
  fc.record({ kind: fc.constant("update" as const), id: ids, v: value }),
  fc.record({ kind: fc.constant("delete" as const), id: ids }),
  fc.record({ kind: fc.constant("batch" as const), first: ids, second: ids, v: value }),
  fc.record({ kind: fc.constant("emit" as const), id: ids, v: fc.option(value, { nil: null }) }),
  fc.record({ kind: fc.constant("settle" as const), index: fc.nat(5), outcome: fc.constantFrom("ok" as const, "retry" as const, "fatal" as const) }),
  fc.constant({ kind: "tick" as const }),
);

/** The model's own reading of a mutation. */
function apply(current: Item | undefined, m: PendingMutation): Item | undefined {
  const type = (m.metadata as { type: string }).type;
  if (type === "delete") return undefined;
  if (type === "insert") return { ...(m.changes as Item) };
  return current === undefined ? undefined : { ...current, ...m.changes };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("property: data = synced state + optimistic updates of unfinished transactions, in order", () => {
  for (const strategy of ["ordered", "parallel"] as const) {
    it(`holds for random transactions, sync updates and persist outcomes (${strategy})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
          const { mutationFn, calls } = manualMutationFn<Item>();
          const { collection, syncControl } = createTestCollection<Item>({
            initialData: [{ id: "a", v: "0" }],
            mutationFn,
            strategy: { type: strategy },
            retry: { retries: 1_000, baseDelayMs: 1, jitter: 0 },
          });
          // The model: synced state, sync updates held for locked objects, and what has been folded in.
          const synced = new Map<string, Item>([["a", { id: "a", v: "0" }]]);
          const held = new Map<string, Item | null>();
          const seen = new Map<string, Transaction["state"]>();
          const failed: Transaction[] = [];
          const setSynced = (id: string, item: Item | null | undefined) => {
            if (item == null) synced.delete(id);
            else synced.set(id, item);
          };
          const locked = () => (strategy === "ordered" ? getLockedObjects(collection.getTransactions() as Transaction[]) : new Set<string>());
          const open = new Set(calls);
          /** The objects each transaction locked when the step began. */
          const lockSnapshot = () =>
            new Map(collection.getTransactions().map((t) => [t.id, getLockedObjects([t as Transaction])] as const));
          const check = (before: Map<string, Set<string>>) => {
            const txs = collection.getTransactions();
            // Newly completed: held updates of its objects first, then its changes fold in.
            for (const tx of txs) {
              const previous = seen.get(tx.id);
              seen.set(tx.id, tx.state);
              if (previous === tx.state) continue;
              if (tx.state === "completed") {
                // Released at completion: objects no other transaction locked at that moment.
                const others = new Set<string>();
                for (const [txId, objects] of before) if (txId !== tx.id) for (const o of objects) others.add(o);
                for (const m of tx.mutations) {
                  const id = String(m.modified["id"]);
                  if (held.has(id) && strategy === "ordered" && !others.has(id)) {
                    setSynced(id, held.get(id));
                    held.delete(id);
                  }
                }
                for (const m of tx.mutations) {
                  const id = String(m.modified["id"]);
                  const next = apply(synced.get(id), m);
                  if ((m.metadata as { type: string }).type === "update" && next === undefined) continue;
                  setSynced(id, next);
                }
              }
              if (tx.state === "failed") failed.push(tx);
            }
            for (const [id, item] of [...held]) {
              if (!locked().has(id)) {
                setSynced(id, item);
                held.delete(id);
              }
            }
            const expected = new Map(synced);
            for (const tx of txs) {
              if (tx.state === "completed" || tx.state === "failed") continue;
              for (const m of tx.mutations) {
                const id = String(m.modified["id"]);
                const next = apply(expected.get(id), m);
                if (next === undefined) expected.delete(id);
                else expected.set(id, next);
              }
            }
            expect(collection.data).toEqual(Object.fromEntries(expected));
          };
          const step = async (before: Map<string, Set<string>>, ms = 0) => {
            await vi.advanceTimersByTimeAsync(ms);
            check(before);
          };
          try {
            for (const o of ops) {
              const before = lockSnapshot();
              try {
                if (o.kind === "insert") collection.insert({ id: o.id, v: o.v });
                else if (o.kind === "update") collection.update(o.id, { v: o.v });
                else if (o.kind === "delete") collection.delete(o.id);
                else if (o.kind === "batch") {
                  collection.withMutation(() => {
                    collection.update(o.first, { v: o.v });
                    collection.update(o.second, { w: o.v });
                  });
                } else if (o.kind === "emit") {
                  const item = o.v === null ? null : { id: o.id, v: o.v, server: true };
                  if (locked().has(o.id)) held.set(o.id, item);
                  else {
                    setSynced(o.id, item);
                    held.delete(o.id);
                  }
                  syncControl.emitUpdate({ [o.id]: item });
                } else if (o.kind === "tick") {
                  // Only time passes (retry timers fire).
                } else {
                  const pending = calls.filter((c) => open.has(c));
                  const call = pending[o.index % Math.max(1, pending.length)];
                  if (call !== undefined) {
                    open.delete(call);
                    if (o.outcome === "ok") call.resolve();
                    else call.reject(o.outcome === "fatal" ? new NonRetriableError("fatal") : new Error("retry"));
                  }
                }
              } catch (error) {
                // Invalid against the current view (missing id, duplicate insert): nothing applied.
                expect((error as { code?: string }).code).toMatch(/NOT_FOUND|ALREADY_EXISTS/);
              }
              await step(before, o.kind === "tick" ? 1 : 0);
              for (const c of calls) if (!seenCalls.has(c)) seenCalls.add(c) && open.add(c);
            }
            // Drain: everything resolves; a failed transaction must have left no trace.
            for (let round = 0; round < 500 && collection.getTransactions().some((t) => t.state !== "completed" && t.state !== "failed"); round++) {
              const before = lockSnapshot();
              const next = [...open][0];
              if (next !== undefined) {
                open.delete(next);
                next.resolve();
              }
              await step(before, next === undefined ? 1 : 0);
              for (const c of calls) if (!seenCalls.has(c)) seenCalls.add(c) && open.add(c);
            }
            expect(collection.getTransactions().every((t) => t.state === "completed" || t.state === "failed")).toBe(true);
            check(lockSnapshot());
          } finally {
            await collection.dispose();
          }
        }),
        { numRuns: 200 },
      );
    });
  }
});

const seenCalls = new WeakSet<object>();
