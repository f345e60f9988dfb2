/**
 * @kalphite/transactions — collections with an optimistic layer over synced
 * data; transactions (ordered / parallel strategies, retries with backoff,
 * `NonRetriableError`, rollback of dependants) persisted so they survive a
 * reload. Usable against any backend.
 */
export { createCollection, getTransactions, subscribeTransactions } from "./registry";
export type { Collection, CollectionConfig, ItemChanges } from "./collection-types";
export { createTestCollection } from "./test-collection";
export type { SyncControl, TestCollectionOptions } from "./test-collection";
export { getLockedObjects } from "./locks";
export { transition, isSettled, isUnfinished } from "./state-machine";
export type { TransitionEvent } from "./state-machine";
export { NonRetriableError, TransactionsError, TransactionsErrorCode, isNonRetriable } from "./errors";
export { DEFAULT_RETRY, backoffDelay } from "./retry";
export type { ResolvedRetry } from "./retry";
export { encodeTransaction, decodeTransaction } from "./codec";
export type { PersistedTransaction, StoredTransaction, StoredError } from "./codec";
export { createIndexedDBStorage } from "./storage/indexeddb-storage";
export type { IndexedDBStorageOptions } from "./storage/indexeddb-storage";
export { createPGliteStorage } from "./storage/pglite-storage";
export type { PGliteStorageOptions } from "./storage/pglite-storage";
export { createMemoryStorage } from "./storage/memory-storage";
export type { MemoryStorage } from "./storage/memory-storage";
export type { TransactionStorage } from "./storage/types";
export { browserOnlineStatus, systemTimers } from "./environment";
export { createKalphiteSync } from "./kalphite-adapter";
export type { KalphiteOperation, KalphiteStoreLike, KalphiteSyncOptions } from "./kalphite-adapter";
export type {
  AnyItem,
  Attempt,
  Item,
  Logger,
  MutationFn,
  MutationMetadata,
  MutationStrategy,
  MutationType,
  OnlineStatus,
  PendingMutation,
  PruneOptions,
  RetryOptions,
  SyncConfig,
  SyncData,
  SyncInstance,
  Timers,
  Transaction,
  TransactionChanges,
  TransactionState,
} from "./types";
