/**
 * The app's one IndexedDB database: the entity snapshot the UI shows
 * (`entities`, keyed `[type, id]`), the sync engine's pending operations
 * (`operations`, keyed `[clientId, id]`) and small values (`meta`).
 */
import { TodoWebError, TodoWebErrorCode } from "../errors";

/** The object stores of the app database. */
export const STORES = { entities: "entities", operations: "operations", meta: "meta" } as const;

/** Database schema version. @default 1 */
const VERSION = 1;

/** Wraps one IndexedDB request in a promise. */
export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new TodoWebError(TodoWebErrorCode.StorageFailed, `IndexedDB request failed: ${req.error?.message ?? "unknown error"}`, { cause: req.error }));
  });
}

/** Resolves when a read-write transaction committed (rejects when it aborted). */
export function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    const fail = () => reject(new TodoWebError(TodoWebErrorCode.StorageFailed, `IndexedDB transaction failed: ${tx.error?.message ?? "aborted"}`, { cause: tx.error }));
    tx.onerror = fail;
    tx.onabort = fail;
  });
}

/** Opens (creating on first use) the app database `name`. */
export function openAppDatabase(name: string, factory: IDBFactory = indexedDB): Promise<IDBDatabase> {
  const open = factory.open(name, VERSION);
  open.onupgradeneeded = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains(STORES.entities)) db.createObjectStore(STORES.entities, { keyPath: ["type", "id"] });
    if (!db.objectStoreNames.contains(STORES.operations)) db.createObjectStore(STORES.operations, { keyPath: ["clientId", "id"] });
    if (!db.objectStoreNames.contains(STORES.meta)) db.createObjectStore(STORES.meta);
  };
  return request(open);
}
