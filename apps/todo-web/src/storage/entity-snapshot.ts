import type { ChangeRecord, Entity } from "@kalphite/store";
import { STORES, done, request } from "./idb";

/** The part of a store the snapshot uses. */
export interface SnapshotStore {
  subscribe(listener: (changes: readonly ChangeRecord[]) => void): () => void;
}

/** Every entity of the snapshot: what the UI showed when it last changed. */
export async function readSnapshot(db: IDBDatabase): Promise<Entity[]> {
  return (await request(db.transaction(STORES.entities, "readonly").objectStore(STORES.entities).getAll())) as Entity[];
}

/**
 * Keeps the snapshot in step with the store: every store batch (local
 * writes, the sync client's rebases) becomes one IndexedDB transaction, in
 * order. Loads (`origin: "load"`) are not written back. `flushed()` resolves
 * when everything written so far is committed; `onError` hears failures
 * (the app keeps working from memory).
 */
export function persistSnapshot(db: IDBDatabase, store: SnapshotStore, onError: (error: unknown) => void) {
  let chain: Promise<void> = Promise.resolve();
  const off = store.subscribe((changes) => {
    const writes = changes.filter((c) => c.origin !== "load");
    if (writes.length === 0) return;
    const tx = db.transaction(STORES.entities, "readwrite");
    const entities = tx.objectStore(STORES.entities);
    for (const change of writes) {
      if (change.operation === "delete") entities.delete([change.entityType, change.entityId]);
      else if (change.entity !== undefined) entities.put(change.entity);
    }
    // Listen now: the transaction may commit before the previous link settles.
    const committed = done(tx).catch(onError);
    chain = chain.then(() => committed);
  });
  return { stop: off, flushed: () => chain };
}
