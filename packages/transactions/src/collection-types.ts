import type { Draft } from "immer";
import type { TransactionStorage } from "./storage/types";
import type { AnyItem, Item, Logger, MutationFn, MutationStrategy, OnlineStatus, PruneOptions, RetryOptions, SyncConfig, SyncData, Timers, Transaction } from "./types";

/** Top-level fields to set on an item; a field given as `undefined` is removed. */
export type ItemChanges<T> = { [K in keyof T]?: T[K] | undefined };

/** Options of {@link createCollection}. */
export interface CollectionConfig<T extends Item = AnyItem> {
  /** Where synced data comes from; `sync.id` identifies the collection. */
  sync: SyncConfig<T>;
  /** How transactions are written to the backend. Without one, transactions complete at once (local only). */
  mutationFn?: MutationFn<T>;
  /** @default { type: "ordered" } */
  strategy?: MutationStrategy<T>;
  /**
   * Where transactions are kept across reloads; `false` keeps them in memory
   * only. If the storage cannot be set up, the error is logged and the
   * collection works in memory. @default IndexedDB (`createIndexedDBStorage()`)
   */
  persistence?: TransactionStorage | false;
  /** Synced data to start from before `sync.setup` resolves (a cache). */
  initialData?: SyncData<T>;
  /** Retries of failed persists. @default 4 retries, 1 s doubling to 30 s, 25 % jitter */
  retry?: RetryOptions;
  /** Online status: attempts wait while offline. @default `navigator.onLine` and window events (always online in Node) */
  online?: OnlineStatus;
  /** @default the global timers and `Date.now` */
  timers?: Timers;
  /** @default console */
  logger?: Logger;
  /** Opt-in pruning of settled transactions. @default none: full history is kept */
  prune?: PruneOptions;
}

/** A collection: synced data with the optimistic updates of unfinished transactions on top. */
export interface Collection<T extends Item = AnyItem> {
  /** The `sync.id`. */
  readonly id: string;
  /**
   * The current optimistic view by item id: synced state plus the optimistic
   * updates of unfinished transactions, in order. A new object after every
   * change (the same object while nothing changes); do not mutate it.
   */
  readonly data: Readonly<Record<string, T>>;
  /** Resolves once `sync.setup` resolved and stored transactions were recovered; rejects if `setup` rejected. */
  readonly ready: Promise<void>;
  /** Inserts `item` (its `id` must be new) in a transaction of one mutation (or the open `withMutation` one). */
  insert(item: T): Transaction;
  /** Updates item `id` with top-level `changes` (an `undefined` value removes the field) or an immer recipe. */
  update(id: string, changes: ItemChanges<T> | ((draft: Draft<T>) => void | T)): Transaction;
  /** Deletes item `id`. */
  delete(id: string): Transaction;
  /**
   * Runs `fn` (synchronous); every insert/update/delete it calls becomes one
   * transaction, returned. If `fn` throws, nothing is applied and the error
   * is rethrown. Nested calls join the outer transaction.
   */
  withMutation(fn: () => void): Transaction;
  /** Every transaction of this collection, oldest first (the same array while nothing changes). */
  getTransactions(): readonly Transaction[];
  /** The transaction with this id, if the collection holds it. */
  getTransaction(id: string): Transaction | undefined;
  /** Calls `listener` with `getTransactions()` after transactions change (coalesced per microtask). */
  subscribeTransactions(listener: (transactions: readonly Transaction[]) => void): () => void;
  /** Calls `listener` with `data` after every change of the view. */
  subscribe(listener: (data: Readonly<Record<string, T>>) => void): () => void;
  /** Resolves with the transaction once it is `completed` or `failed`. */
  whenSettled(transaction: Transaction | string): Promise<Transaction>;
  /** Drops settled transactions as `options` say (from memory and storage); returns how many. @default this collection's `prune` option */
  pruneHistory(options?: PruneOptions): number;
  /** Stops timers, waits for pending storage writes and forgets the instance (the next `createCollection` with this id builds a new one). */
  dispose(): Promise<void>;
}
