/**
 * The specification's types ("Sync Library Technical Specification"), with
 * exactly its fields, plus the configuration types of `createCollection`.
 */

/**
 * Where a transaction is in its life. See the diagram in `state-machine.ts`.
 * - `queued`: waiting for an earlier transaction on the same objects (ordered strategy).
 * - `pending`: created, or between attempts, but not persisting right now.
 * - `persisting`: `mutationFn.persist()` is running.
 * - `persisted_awaiting_sync`: persist succeeded; waiting for sync to show it.
 * - `completed`: done; its optimistic updates are no longer applied.
 * - `failed`: gave up (including rollbacks because a transaction it depended on failed).
 */
export type TransactionState =
  | "queued"
  | "pending"
  | "persisting"
  | "persisted_awaiting_sync"
  | "completed"
  | "failed";

/** One call of `mutationFn.persist()` for a transaction. */
export interface Attempt {
  id: string;
  started_at: Date;
  /** When the attempt ended (successfully or not); absent while it runs. */
  completed_at?: Date;
  /** Why the attempt failed; absent when it succeeded or still runs. */
  error?: Error;
  /** When the next attempt is due, when one was scheduled after this one failed. */
  retry_scheduled_for?: Date;
}

/**
 * One insert, update or delete of one object. `original` is the object before
 * the mutation (`{}` for an insert), `modified` the object after it (for a
 * delete: the object that was deleted, so `modified.id` still names it),
 * `changes` the top-level fields it set (the whole item for an insert, `{}`
 * for a delete). `metadata` is set by the library to a {@link MutationMetadata}.
 */
export interface PendingMutation {
  mutationId: string;
  original: Record<string, any>;
  modified: Record<string, any>;
  changes: Record<string, any>;
  metadata: unknown;
  created_at: Date;
  updated_at: Date;
  state: "created" | "persisting" | "synced";
}

/** A group of mutations applied, persisted and rolled back together. */
export interface Transaction {
  id: string;
  state: TransactionState;
  created_at: Date;
  updated_at: Date;
  mutations: PendingMutation[];
  attempts: Attempt[];
  /** The number of the current (or last) attempt: 0 before the first, 1 during the first. */
  current_attempt: number;
  /** The transaction this one waits for (`queued` state, ordered strategy). */
  queued_behind?: string;
  /** Why it failed. `transaction_id` names the failed transaction this one was rolled back for. */
  error?: {
    transaction_id?: string;
    message: string;
    error: Error;
  };
}

/** What a mutation does. */
export type MutationType = "insert" | "update" | "delete";

/** The `metadata` of every `PendingMutation` this library creates. */
export interface MutationMetadata {
  /** What the mutation does. */
  type: MutationType;
  /** The `sync.id` of the collection it belongs to. */
  collection: string;
  /** Top-level fields an update recipe removed (they are not in `changes`). */
  removed?: string[];
}

/** An item of a collection: any JSON object with a string `id` (an interface without an index signature is fine). */
export interface Item {
  id: string;
}

/** The default item type: an object with a string `id` and any other fields. */
export interface AnyItem extends Item {
  [key: string]: unknown;
}

/**
 * Synced data as a sync source hands it over: an array of items, or a record
 * keyed by item id where `null` deletes the item. Every update is a patch:
 * items it names are replaced, the others are kept.
 */
export type SyncData<T extends Item> = readonly T[] | Readonly<Record<string, T | null>>;

/** How a collection receives data from its backend. */
export interface SyncConfig<T extends Item = AnyItem> {
  /** Identifies the collection: collections with the same id are one instance. */
  id: string;
  /**
   * Starts syncing. Resolves with the initial data; later changes arrive
   * through `onUpdate` (a patch each time, see {@link SyncData}).
   */
  setup: (params: { onUpdate: (data: SyncData<T>) => void }) => Promise<{ data: SyncData<T> }>;
}

/**
 * The collection's view of its sync source, passed to `awaitSync`: the data
 * the backend has sent so far, including updates held back from `data`
 * because their objects are locked.
 */
export interface SyncInstance<T extends Item = AnyItem> {
  /** The `sync.id`. */
  readonly id: string;
  /** Everything the backend has sent, by item id (deleted items absent); the same object until the next update. */
  getSyncedData(): Readonly<Record<string, T>>;
  /** Calls `listener` with every update the backend sends from now on, as it arrives. */
  onUpdate(listener: (data: SyncData<T>) => void): () => void;
  /**
   * Resolves once `predicate(getSyncedData())` is true: at once if it is now,
   * else after the update that makes it so. Rejects when `signal` aborts.
   */
  waitFor(predicate: (synced: Readonly<Record<string, T>>) => boolean, options?: { signal?: AbortSignal }): Promise<void>;
}

/**
 * The changes of a transaction, by item id: the merged top-level fields it
 * sets (the whole item for an insert), or `null` when it deletes the item.
 */
export type TransactionChanges = Record<string, Record<string, any> | null>;

/** How a collection writes to its backend. */
export interface MutationFn<T extends Item = AnyItem> {
  /**
   * Persists one transaction. Resolve when the backend accepted it; reject to
   * retry (throw a `NonRetriableError` to fail at once). `attempt` is 1 for
   * the first attempt. A persist may run again after a reload, so make it
   * idempotent (the transaction id is stable).
   */
  persist: (params: { changes: TransactionChanges; attempt: number; transaction: Transaction }) => Promise<void>;
  /**
   * Optional: resolves once sync shows the persisted transaction. Until then
   * the transaction is `persisted_awaiting_sync`, holds its locks and keeps its
   * optimistic updates. A rejection fails the transaction (persist is not
   * retried). Without it, a transaction completes right after persist and its
   * changes are folded into the synced state.
   */
  awaitSync?: (params: { changes: TransactionChanges; transaction: Transaction; sync: SyncInstance<T> }) => Promise<void>;
}

/**
 * How transactions run. `ordered` (default): a transaction touching an object
 * an unfinished earlier transaction touches waits for it, and fails when it
 * fails. `parallel`: every transaction persists at once; `merge` combines an
 * item's synced value with its pending mutations before the optimistic
 * updates are re-applied on top.
 */
export interface MutationStrategy<T extends Item = AnyItem> {
  type: "ordered" | "parallel";
  /**
   * Parallel only. Called per item that has pending mutations, with the
   * item's synced value (`undefined` when the backend has none) and those
   * mutations in order; returns the base the optimistic updates are applied
   * to (`undefined`: no base). @default the synced value as it is
   */
  merge?: (syncedData: T | undefined, pendingMutations: PendingMutation[]) => T | undefined;
}

/** Retry behaviour of failed persists. */
export interface RetryOptions {
  /** Retries after the first attempt. @default 4 (5 attempts) */
  retries?: number;
  /** Delay before the first retry, in ms; doubles each retry. @default 1000 */
  baseDelayMs?: number;
  /** Longest delay between attempts, in ms. @default 30000 */
  maxDelayMs?: number;
  /** Share of the delay added as random jitter, 0..1. @default 0.25 */
  jitter?: number;
  /** Random source in [0, 1) for the jitter. @default Math.random */
  random?: () => number;
  /** Extra classification: return false to fail at once. Called after `NonRetriableError` is ruled out. @default always true */
  shouldRetry?: (error: Error, attempt: number) => boolean;
}

/** Whether the client is online, and when that changes. */
export interface OnlineStatus {
  isOnline(): boolean;
  /** Calls `listener` whenever the status may have changed; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

/** Injected clock and timers (tests hand in fakes). The defaults read the globals at call time. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

/** Where log lines go. @default console */
export interface Logger {
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

/** Opt-in pruning of settled (completed or failed) transactions. */
export interface PruneOptions {
  /** Keep at most this many settled transactions; the oldest go first. */
  maxSettled?: number;
  /** Drop settled transactions whose `updated_at` is older than this many ms. */
  maxAgeMs?: number;
}
