import type { GroupSpec, RunOptions } from "../harness/types";

/** Sizes of the transactions workloads. */
export interface TransactionsParams {
  /** Transactions per measured run, one insert each. */
  readonly transactions: number;
  /** The smaller run every implementation finishes (TanStack's outbox slows down superlinearly). */
  readonly small: number;
  readonly reps: number;
  /** Unmeasured runs first. */
  readonly warmup: number;
  /** A run that takes longer is stopped and reported as n/a with how far it got, ms. */
  readonly budgetMs: number;
}

const fmt = (n: number) => n.toLocaleString("en-US");

/** Group: `@kalphite/transactions` against `@tanstack/offline-transactions`, one mutation per transaction, in-memory backend. */
export function transactionsGroup(options: RunOptions): GroupSpec {
  const params: TransactionsParams = options.quick
    ? { transactions: 2_000, small: 500, reps: 1, warmup: 1, budgetMs: 30_000 }
    : { transactions: 10_000, small: 1_000, reps: 3, warmup: 1, budgetMs: 120_000 };
  // TanStack: one measured run, no warm-up (a 10,000 run takes minutes; see the notes).
  const slow = { ...params, reps: 1, warmup: 0 };
  const n = fmt(params.transactions);
  return {
    id: "transactions",
    title: `transactions — ${n} transactions of one insert each, in-memory backend`,
    impls: [
      { id: "kalphite-memory", label: "@kalphite/transactions, persistence: false" },
      { id: "kalphite-idb", label: "@kalphite/transactions, IndexedDB (fake-indexeddb)" },
      { id: "kalphite-pglite", label: "@kalphite/transactions, PGlite (memory://)" },
      { id: "tanstack-memory", label: "@tanstack/offline-transactions 1.0.53, Map storage" },
      { id: "tanstack-idb", label: "@tanstack/offline-transactions 1.0.53, IndexedDB (fake-indexeddb)" },
    ],
    rounds: options.rounds ?? (options.quick ? 1 : 3),
    jobs: [
      { impl: "kalphite-memory", params: { ...params } },
      { impl: "kalphite-idb", params: { ...params } },
      { impl: "kalphite-pglite", params: { ...params } },
      { impl: "tanstack-memory", params: slow, maxRounds: 1 },
      { impl: "tanstack-idb", params: slow, maxRounds: 1 },
    ],
    workloads: [
      { id: "create", label: `${n} transactions created (the synchronous calls)`, unit: "ms", ops: params.transactions, baseline: "kalphite-memory" },
      { id: "settle", label: `${n} transactions created and all completed`, unit: "ms", ops: params.transactions, perOp: "time", baseline: "kalphite-memory" },
      { id: "settle-small", label: `${fmt(params.small)} transactions created and all completed`, unit: "ms", ops: params.small, perOp: "time", baseline: "kalphite-memory" },
    ],
    targets: [],
    notes: [
      "Backend: a Map the persist function writes the transaction's changes into (resolves at once). Kalphite: `collection.insert(todo)` per transaction, then `whenSettled` of all; TanStack: `createOfflineTransaction({ autoCommit: false })`, `mutate(() => collection.insert(todo))`, `commit()` per transaction on a local-only @tanstack/db collection (mutationFn calls `utils.acceptMutations`), then all commits awaited.",
      "Both persist every transaction before it is sent (an outbox). TanStack runs its outbox strictly one transaction at a time (FIFO); Kalphite's ordered strategy only orders transactions that touch the same object, and batches its storage writes per microtask.",
      "PGlite start-up (~1–3 s) is outside the timing; each run uses a fresh table. fake-indexeddb is a JS implementation: real IndexedDB in a browser has different costs.",
      `TanStack's cost per transaction grows with the queue (measured here: 1,000 in ~3 s, 2,000 in ~15 s), so it runs once per child, in the first round only, and a run longer than ${fmt(params.budgetMs / 1000)} s is stopped and shown as n/a with how many had completed; the ${fmt(params.small)}-transaction row compares every implementation on a finished run.`,
    ],
  };
}
