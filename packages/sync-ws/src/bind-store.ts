import type { BaseEntity, ChangeRecord, RemoteChange } from "@kalphite/store";
import { SyncError, SyncErrorCode, describeError } from "./errors";
import type { NetworkSyncEngine } from "./network-sync-engine";
import type { NetworkSyncEvents } from "./types";

/** The part of a Kalphite store `bindStore` uses. */
export interface BindableStore {
  subscribe(listener: (changes: readonly ChangeRecord<BaseEntity>[]) => void): () => void;
  applyRemote(changes: Iterable<RemoteChange<BaseEntity>>): void;
}

/**
 * Connects a store and an engine: the store's local changes go out through
 * `engine.sendChange`; remote changes come in through `store.applyRemote`
 * (gathered per tick into one batch), which marks them `origin: "remote"` so
 * they never echo back. Loads (`origin: "load"`) are not sent. A local change
 * the engine refuses (a full queue) is kept (the newest state per entity) and
 * sent again after the next acknowledgement; nothing is dropped.
 * Returns `unbind()`, which stops both directions.
 *
 * @example
 * const unbind = bindStore(store, engine);
 * await engine.connect();
 * store.todo.upsert("t1", { title: "Ship it", done: false, updatedAt: Date.now() }); // goes to the room
 */
export function bindStore<TEvents extends NetworkSyncEvents>(store: BindableStore, engine: NetworkSyncEngine<TEvents>): () => void {
  let bound = true;
  let incoming: RemoteChange<BaseEntity>[] = [];
  /** Local changes refused with QUEUE_FULL, newest per entity, waiting for room in the queue. */
  const overflow = new Map<string, ChangeRecord<BaseEntity>>();
  const report = (error: unknown) => {
    const syncError = error instanceof SyncError ? error : new SyncError(SyncErrorCode.InvalidChange, describeError(error), { cause: error });
    (engine as NetworkSyncEngine).emit("error", syncError);
  };

  const send = (change: ChangeRecord<BaseEntity>) => {
    const key = `${change.entityType}\u0000${change.entityId}`;
    engine
      .sendChange({ type: change.operation, entityType: change.entityType, entityId: change.entityId, ...(change.entity === undefined ? {} : { entity: change.entity as never }) })
      .catch((error: unknown) => {
        if (!bound) return;
        if (error instanceof SyncError && error.code === SyncErrorCode.QueueFull) {
          overflow.delete(key);
          overflow.set(key, change);
        }
        report(error);
      });
  };

  const offStore = store.subscribe((changes) => {
    if (!bound) return;
    for (const change of changes) if (change.origin === "local") send(change);
  });

  const retryOverflow = () => {
    if (!bound || overflow.size === 0) return;
    const waiting = [...overflow.values()];
    overflow.clear();
    for (const change of waiting) send(change);
  };

  const offRemote = (engine as NetworkSyncEngine).on("remoteChange", (event) => {
    if (!bound) return;
    incoming.push(
      event.type === "delete"
        ? { operation: "delete", entityType: event.entityType, entityId: event.entityId }
        : { operation: "upsert", entityType: event.entityType, entityId: event.entityId, entity: event.entity as BaseEntity },
    );
    if (incoming.length === 1) {
      queueMicrotask(() => {
        const batch = incoming;
        incoming = [];
        if (!bound || batch.length === 0) return;
        try {
          store.applyRemote(batch);
        } catch (error) {
          report(new SyncError(SyncErrorCode.InvalidChange, `bindStore: the store refused ${batch.length} remote change(s): ${describeError(error)}`, { cause: error }));
        }
      });
    }
  });
  const offAck = (engine as NetworkSyncEngine).on("ack", retryOverflow);

  return () => {
    bound = false;
    offStore();
    offRemote();
    offAck();
    overflow.clear();
  };
}
