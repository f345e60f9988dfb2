import type { PersistedTransaction } from "../codec";
import type { TransactionStorage } from "./types";

/** A {@link TransactionStorage} with a way to look inside, for tests. */
export interface MemoryStorage extends TransactionStorage {
  /** Copies of every record held, in insertion order. */
  records(): PersistedTransaction[];
}

/**
 * An in-memory {@link TransactionStorage}: records are copied through JSON on
 * the way in and out, like a real storage would. Share one between two
 * collections to simulate a reload inside one process.
 */
export function createMemoryStorage(): MemoryStorage {
  const rows = new Map<string, string>();
  const key = (collectionId: string, id: string) => JSON.stringify([collectionId, id]);
  return {
    async load(collectionId) {
      const out: PersistedTransaction[] = [];
      for (const json of rows.values()) {
        const record = JSON.parse(json) as PersistedTransaction;
        if (record.collectionId === collectionId) out.push(record);
      }
      return out;
    },
    async save(records) {
      const encoded = records.map((r) => [key(r.collectionId, r.id), JSON.stringify(r)] as const);
      for (const [k, json] of encoded) rows.set(k, json);
    },
    async remove(collectionId, ids) {
      for (const id of ids) rows.delete(key(collectionId, id));
    },
    records() {
      return [...rows.values()].map((json) => JSON.parse(json) as PersistedTransaction);
    },
  };
}
