import { maxRatio } from "../harness/targets";
import type { GroupSpec, RunOptions, Target } from "../harness/types";

/** Sizes of the coordinator workloads (sent to each child). */
export interface CoordinatorParams {
  /** Single writes in the write workload. */
  readonly writes: number;
  /** Pending operations = delta entities, per rebase size. */
  readonly rebaseSizes: readonly number[];
  /** Mutations registered and confirmed in the coordinator workload. */
  readonly registrations: number;
  readonly reps: number;
}

const fmt = (n: number) => n.toLocaleString("en-US");
export const rebaseId = (n: number) => `rebase-${n}`;

/** The per-operation cost of the largest rebase is at most `limit` × that of the smallest (linear growth). */
function linear(small: number, large: number, limit: number): Target {
  const per = (median: (w: string, i: string) => number | undefined, n: number) => {
    const v = median(rebaseId(n), "optimistic");
    return v === undefined ? undefined : v / n;
  };
  return {
    workload: rebaseId(large),
    impl: "optimistic",
    text: `per op ≤ ${limit}× the ${fmt(small)} cost (linear)`,
    check: (median) => {
      const a = per(median, small);
      const b = per(median, large);
      return a === undefined || b === undefined ? undefined : b / a <= limit;
    },
    detail: (median) => {
      const a = per(median, small);
      const b = per(median, large);
      return a === undefined || b === undefined ? undefined : `${(b / a).toFixed(2)}×`;
    },
  };
}

/**
 * Group: speculative operations. `client.mutate.addTodo()` against a plain
 * `store.todo.upsert`, a rebase of N pending operations onto an N-entity
 * server delta, and the bare coordinator's register/confirm cost.
 */
export function coordinatorGroup(options: RunOptions): GroupSpec {
  const params: CoordinatorParams = options.quick
    ? { writes: 5_000, rebaseSizes: [1_000, 4_000], registrations: 5_000, reps: 3 }
    : { writes: 20_000, rebaseSizes: [1_000, 4_000], registrations: 20_000, reps: 5 };
  const [small, large] = [params.rebaseSizes[0]!, params.rebaseSizes[params.rebaseSizes.length - 1]!];
  const optimisticOnly = ["writes-handed", ...params.rebaseSizes.map(rebaseId), "register-confirm"];
  return {
    id: "coordinator",
    title: "coordinator — speculative operations and rebase",
    impls: [
      { id: "store", label: "store.todo.upsert (baseline)" },
      { id: "optimistic", label: "kalphite client.mutate" },
    ],
    rounds: options.rounds ?? (options.quick ? 2 : 5),
    jobs: [
      { impl: "store", params: { ...params } },
      { impl: "optimistic", params: { ...params } },
    ],
    workloads: [
      { id: "writes", label: `${fmt(params.writes)} single writes, 1 subscriber`, unit: "ms", ops: params.writes, baseline: "store" },
      { id: "writes-handed", label: `${fmt(params.writes)} single writes, until handed to the engine`, unit: "ms", ops: params.writes, baseline: "store" },
      ...params.rebaseSizes.map((n) => ({ id: rebaseId(n), label: `rebase: ${fmt(n)} pending ops onto a ${fmt(n)}-entity delta`, unit: "ms" as const, ops: n, baseline: "store" })),
      { id: "register-confirm", label: `coordinator: register + confirm ${fmt(params.registrations)} mutations`, unit: "ms", ops: params.registrations, baseline: "store" },
    ],
    notApplicable: optimisticOnly.map((workload) => ({ workload, impl: "store", reason: "no pending operations in a plain store" })),
    targets: [maxRatio("writes", "optimistic", "store", 3), linear(small, large, 2)],
    notes: [
      "writes: `client.mutate.addTodo(id, title, priority)` (a synchronous mutator: `tx.upsert(\"todo\", id, {…})`, run straight on the store, its undo recorded, the operation queued for its layer-5 transaction) vs `store.todo.upsert(id, entity)`; both stores have one subscriber. Timed: the synchronous calls (what the caller waits for); the transactions are created in a microtask after them. The engine is a stub that accepts every operation (no network, no storage: the engine's own cost is measured in the sync-ops group).",
      "writes-handed: the same calls timed until `client.whenIdle()`: every operation's layer-5 transaction (`@kalphite/transactions`, not persisted) created and its `persist` handing the operation to the engine. No target; it shows what the transactions cost after the calls return.",
      "rebase: N pending `addTodo` operations, then one server state patch with N other entities: undo every pending effect, apply the N entities, re-run the N operations, write the difference as one store batch (one notification). Measured from the patch to the store being updated.",
      "register-confirm: the bare `OptimisticSyncCoordinator` — `generateClientSeq` + `registerPendingMutation` (one atom, one replace patch and its inverse) for every mutation, then `confirmMutation` for each in order.",
      "targets from the issue: speculative write ≤ 3× a plain upsert; rebase grows linearly (per-op cost at the larger size ≤ 2× the smaller's).",
    ],
  };
}
