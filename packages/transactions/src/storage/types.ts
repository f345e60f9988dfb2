import type { PersistedTransaction } from "../codec";

/**
 * Where transactions are kept so they survive a reload. One storage may hold
 * the transactions of many collections (records carry `collectionId`).
 * Implementations: {@link createIndexedDBStorage} (browser default),
 * {@link createPGliteStorage} (Node), {@link createMemoryStorage} (tests).
 */
export interface TransactionStorage {
  /** Every stored record of `collectionId`, in any order. */
  load(collectionId: string): Promise<PersistedTransaction[]>;
  /** Inserts or replaces `records` (keyed by `collectionId` + `id`), all or nothing. */
  save(records: readonly PersistedTransaction[]): Promise<void>;
  /** Deletes the records of `collectionId` with these ids (pruning). */
  remove(collectionId: string, ids: readonly string[]): Promise<void>;
  /** Releases what the storage opened. */
  close?(): Promise<void>;
}
