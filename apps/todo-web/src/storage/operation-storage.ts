import type { OperationStorage, PendingOperation } from "@kalphite/sync-ops";
import { STORES, done, request } from "./idb";

/** The meta key of a client's last operation id and values. */
const clientKey = (clientId: string) => `client:${clientId}`;

interface ClientMeta {
  lastOperationId: number;
  values: Record<string, string>;
}

/** Options of `createIndexedDBOperationStorage`. */
export interface IndexedDBOperationStorageOptions {
  /**
   * Keys of `values` not handed back by `load` (they are still written).
   * The app leaves out `"stateVersion"`, so each session starts from the
   * server's full state: the entity snapshot and the engine's cursor are
   * written separately, and a full first pull cannot miss what a cursor
   * written ahead of the snapshot would skip.
   * @default []
   */
  forgetOnLoad?: readonly string[];
  /** Called after each write that adds or removes operations committed (the status bar recounts). */
  onOperationsWritten?: () => void;
}

/**
 * `ModernSyncEngine`'s `OperationStorage` on IndexedDB: an operation is in
 * the database (its transaction committed) before `append` resolves, so a
 * reload or a closed tab pushes it again with the same `(clientId, id)` and
 * the server applies it once.
 */
export function createIndexedDBOperationStorage(db: IDBDatabase, options: IndexedDBOperationStorageOptions = {}): OperationStorage {
  const forget = new Set(options.forgetOnLoad ?? []);
  // After the engine saw the write resolve and updated its queue.
  const written = () => setTimeout(() => options.onOperationsWritten?.(), 0);
  const readMeta = async (store: IDBObjectStore, clientId: string): Promise<ClientMeta> =>
    ((await request(store.get(clientKey(clientId)))) as ClientMeta | undefined) ?? { lastOperationId: 0, values: {} };
  const range = (clientId: string) => IDBKeyRange.bound([clientId, 0], [clientId, Number.MAX_SAFE_INTEGER]);
  return {
    async load(clientId) {
      const tx = db.transaction([STORES.operations, STORES.meta], "readonly");
      const [rows, meta] = await Promise.all([
        request(tx.objectStore(STORES.operations).getAll(range(clientId))) as Promise<Array<{ op: PendingOperation }>>,
        readMeta(tx.objectStore(STORES.meta), clientId),
      ]);
      const values = Object.fromEntries(Object.entries(meta.values).filter(([key]) => !forget.has(key)));
      return { operations: rows.map((row) => row.op).sort((a, b) => a.id - b.id), lastOperationId: meta.lastOperationId, values };
    },
    async append(clientId, operations) {
      const tx = db.transaction([STORES.operations, STORES.meta], "readwrite");
      const committed = done(tx);
      const ops = tx.objectStore(STORES.operations);
      for (const op of operations) ops.put({ clientId, id: op.id, op });
      const metaStore = tx.objectStore(STORES.meta);
      const meta = await readMeta(metaStore, clientId);
      meta.lastOperationId = Math.max(meta.lastOperationId, ...operations.map((op) => op.id));
      metaStore.put(meta, clientKey(clientId));
      await committed;
      written();
    },
    async remove(clientId, operationIds) {
      const tx = db.transaction(STORES.operations, "readwrite");
      const committed = done(tx);
      for (const id of operationIds) tx.objectStore(STORES.operations).delete([clientId, id]);
      await committed;
      written();
    },
    async replace(clientId, operations, lastOperationId) {
      const tx = db.transaction([STORES.operations, STORES.meta], "readwrite");
      const committed = done(tx);
      const ops = tx.objectStore(STORES.operations);
      ops.delete(range(clientId));
      for (const op of operations) ops.put({ clientId, id: op.id, op });
      const metaStore = tx.objectStore(STORES.meta);
      const meta = await readMeta(metaStore, clientId);
      meta.lastOperationId = lastOperationId;
      metaStore.put(meta, clientKey(clientId));
      await committed;
      written();
    },
    async setValue(clientId, key, value) {
      const tx = db.transaction(STORES.meta, "readwrite");
      const committed = done(tx);
      const metaStore = tx.objectStore(STORES.meta);
      const meta = await readMeta(metaStore, clientId);
      meta.values[key] = value;
      metaStore.put(meta, clientKey(clientId));
      await committed;
    },
    async close() {
      db.close();
    },
  };
}
