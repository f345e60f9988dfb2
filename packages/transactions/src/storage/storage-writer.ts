import type { PersistedTransaction } from "../codec";
import type { Logger } from "../types";
import type { TransactionStorage } from "./types";

/**
 * Batches a collection's writes to its {@link TransactionStorage}: records
 * dirtied in the same microtask go out in one `save`, writes stay in order,
 * and the latest state of a record is what is written. When the storage
 * fails, the failure is logged once and the writer turns itself off (the
 * collection goes on in memory).
 */
export class StorageWriter {
  #storage: TransactionStorage | undefined;
  readonly #collectionId: string;
  readonly #logger: Logger;
  readonly #dirty = new Map<string, () => PersistedTransaction>();
  #chain: Promise<void> = Promise.resolve();
  #scheduled: Promise<void> | undefined;

  constructor(collectionId: string, storage: TransactionStorage | undefined, logger: Logger) {
    this.#collectionId = collectionId;
    this.#storage = storage;
    this.#logger = logger;
  }

  /** Whether writes still go to a storage. */
  get active(): boolean {
    return this.#storage !== undefined;
  }

  /** The stored records of the collection; a failure is logged and gives none (the writer turns off). */
  async load(): Promise<PersistedTransaction[]> {
    const storage = this.#storage;
    if (storage === undefined) return [];
    try {
      return await storage.load(this.#collectionId);
    } catch (error) {
      this.#failed(error, "could not be set up");
      return [];
    }
  }

  /**
   * Writes `record()` (read when the batch goes out) under `id`. Resolves once
   * it was written, or the write failed; `undefined` when there is no storage.
   */
  schedule(id: string, record: () => PersistedTransaction): Promise<void> | undefined {
    if (this.#storage === undefined) return undefined;
    this.#dirty.set(id, record);
    this.#scheduled ??= this.#chain = this.#chain.then(() => this.#flush());
    return this.#scheduled;
  }

  /** Forgets pending writes of `ids` and deletes their records. */
  remove(ids: readonly string[]): void {
    for (const id of ids) this.#dirty.delete(id);
    const storage = this.#storage;
    if (storage === undefined || ids.length === 0) return;
    this.#chain = this.#chain.then(() => storage.remove(this.#collectionId, ids)).catch((error) => this.#failed(error, "failed"));
  }

  /** Resolves when every write scheduled so far is done. */
  idle(): Promise<void> {
    return this.#chain;
  }

  async #flush(): Promise<void> {
    this.#scheduled = undefined;
    const storage = this.#storage;
    if (storage === undefined || this.#dirty.size === 0) return;
    const records = [...this.#dirty.values()].map((record) => record());
    this.#dirty.clear();
    try {
      await storage.save(records);
    } catch (error) {
      this.#failed(error, "failed");
    }
  }

  #failed(error: unknown, what: string): void {
    if (this.#storage === undefined) return;
    this.#storage = undefined;
    this.#dirty.clear();
    const message = `transaction storage of "${this.#collectionId}" ${what}; transactions are kept in memory only from now on`;
    if (what === "failed") this.#logger.error(message, error);
    else this.#logger.warn(message, error);
  }
}
