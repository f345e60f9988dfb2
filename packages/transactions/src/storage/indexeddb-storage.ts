import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import type { PersistedTransaction } from "../codec";
import { TransactionsError, TransactionsErrorCode } from "../errors";
import type { TransactionStorage } from "./types";

interface Schema extends DBSchema {
  transactions: {
    key: [string, string];
    value: PersistedTransaction;
    indexes: { byCollection: string };
  };
}

/** Options of {@link createIndexedDBStorage}. */
export interface IndexedDBStorageOptions {
  /** Database name. @default "kalphite-transactions" */
  dbName?: string;
}

/**
 * A {@link TransactionStorage} in IndexedDB (through `idb`): one object store
 * `transactions` keyed by `[collectionId, id]`, indexed by collection. The
 * database opens on first use; when IndexedDB is missing or refuses to open,
 * every call rejects with `STORAGE_FAILED` (the collection then logs it and
 * works in memory).
 */
export function createIndexedDBStorage(options: IndexedDBStorageOptions = {}): TransactionStorage {
  const dbName = options.dbName ?? "kalphite-transactions";
  let opening: Promise<IDBPDatabase<Schema>> | undefined;
  const db = (): Promise<IDBPDatabase<Schema>> => {
    opening ??= (async () => {
      if ((globalThis as { indexedDB?: unknown }).indexedDB === undefined) {
        throw new TransactionsError(TransactionsErrorCode.StorageFailed, "IndexedDB is not available in this environment");
      }
      try {
        return await openDB<Schema>(dbName, 1, {
          upgrade(database) {
            const store = database.createObjectStore("transactions", { keyPath: ["collectionId", "id"] });
            store.createIndex("byCollection", "collectionId");
          },
        });
      } catch (error) {
        throw new TransactionsError(TransactionsErrorCode.StorageFailed, `Could not open IndexedDB "${dbName}"`, { cause: error });
      }
    })();
    opening.catch(() => {
      opening = undefined; // let a later call try again
    });
    return opening;
  };
  return {
    async load(collectionId) {
      return (await db()).getAllFromIndex("transactions", "byCollection", collectionId);
    },
    async save(records) {
      if (records.length === 0) return;
      const tx = (await db()).transaction("transactions", "readwrite");
      await Promise.all([...records.map((r) => tx.store.put(r)), tx.done]);
    },
    async remove(collectionId, ids) {
      if (ids.length === 0) return;
      const tx = (await db()).transaction("transactions", "readwrite");
      await Promise.all([...ids.map((id) => tx.store.delete([collectionId, id])), tx.done]);
    },
    async close() {
      const pending = opening;
      opening = undefined;
      if (pending !== undefined) (await pending.catch(() => undefined))?.close();
    },
  };
}
