import type { BaseEntity, RemoteChange } from "@kalphite/store";
import type { ModernSyncEngine } from "@kalphite/sync-ops";
import { NonRetriableError, TransactionsError, TransactionsErrorCode } from "./errors";
import { metadataOf, objectId } from "./mutations";
import type { MutationFn, SyncConfig, SyncData, Transaction, TransactionChanges } from "./types";

/** An operation as `ModernSyncEngine.executeOperation(name, args)` takes it. */
export interface KalphiteOperation {
  name: string;
  args: unknown[];
}

/** The part of a Kalphite store the adapter uses (a `KalphiteStore` has it). */
export interface KalphiteStoreLike<TEntity extends BaseEntity> {
  getByType(type: string): Iterable<TEntity>;
  applyRemote(changes: Iterable<RemoteChange<TEntity>>): void;
}

/** Options of {@link createKalphiteSync}. */
export interface KalphiteSyncOptions<TEntity extends BaseEntity> {
  /** The engine that pushes operations and pulls state. Its lifecycle (`connect`, `close`) stays with the caller. */
  engine: ModernSyncEngine;
  /** Where the synced entities of `entityType` live; the collection starts from them. */
  store: KalphiteStoreLike<TEntity>;
  /** The entity type the collection holds (its items are entities of this type). */
  entityType: TEntity["type"];
  /** The collection's `sync.id`. @default `kalphite:<entityType>` */
  id?: string;
  /**
   * The operations a transaction becomes, pushed in order. @default the
   * server's built-in operations: `upsert<entityType>(id, entity)` with the
   * object's final value, or `delete<entityType>(id)`, per object the
   * transaction touches
   */
  toOperations?: (params: { transaction: Transaction; changes: TransactionChanges }) => KalphiteOperation[];
  /** Apply pulled patches of `entityType` to `store` too (`applyRemote`). @default true */
  applyToStore?: boolean;
}

interface Tracked {
  readonly name: string;
  readonly key: string;
  state: "queued" | "accepted" | "confirmed" | "failed";
  error?: string;
}

interface Tracker {
  /** The operations, as pushed. */
  readonly raw: KalphiteOperation[];
  /** Their progress, index by index. */
  readonly ops: Tracked[];
  /** Called whenever one of its operations settles. */
  changed?: () => void;
}

/** The built-in operations for `changes`: the final value of each touched object, or its deletion. */
function defaultOperations(entityType: string, transaction: Transaction, changes: TransactionChanges): KalphiteOperation[] {
  const finalValue = new Map<string, Record<string, unknown>>();
  for (const m of transaction.mutations) if (metadataOf(m).type !== "delete") finalValue.set(objectId(m), m.modified);
  return Object.keys(changes).map((id) =>
    changes[id] === null ? { name: `delete${entityType}`, args: [id] } : { name: `upsert${entityType}`, args: [id, finalValue.get(id)] },
  );
}

/**
 * A `SyncConfig` and a `MutationFn` that make a collection sync through
 * Kalphite's operation sync: `persist` pushes the transaction as operations
 * (`engine.executeOperation`, in order; it resolves once they are durable in
 * the engine's queue), `awaitSync` waits until the server confirmed every
 * one (`lastOperationIds` of a pull, or the push answer) and a pull made
 * after that was applied — so the collection shows the server's state when
 * the transaction completes. A refused operation fails the transaction with
 * a `NonRetriableError` (its optimistic update is rolled back). `onUpdate`
 * gets the entities of `entityType` from every state patch (deletions as
 * `null`; a `reset` patch also deletes what it lacks).
 *
 * Operations are matched to transactions by name and arguments, first come
 * first served; a retried `persist` pushes only the operations the engine did
 * not accept yet. The server applies each operation on its own: for a
 * transaction that must be all-or-nothing on the server too, map it to one
 * named operation with `toOperations`.
 *
 * @example
 * const { sync, mutationFn } = createKalphiteSync({ engine, store, entityType: "todo" });
 * const todos = createCollection<Todo>({ sync, mutationFn });
 */
export function createKalphiteSync<TEntity extends BaseEntity>(
  options: KalphiteSyncOptions<TEntity>,
): { sync: SyncConfig<TEntity>; mutationFn: MutationFn<TEntity> } {
  const { engine, store, entityType } = options;
  if (engine === null || typeof engine !== "object" || typeof engine.executeOperation !== "function") {
    throw new TransactionsError(TransactionsErrorCode.InvalidConfig, "createKalphiteSync: engine must be a ModernSyncEngine");
  }
  if (store === null || typeof store !== "object" || typeof store.getByType !== "function") {
    throw new TransactionsError(TransactionsErrorCode.InvalidConfig, "createKalphiteSync: store must be a Kalphite store");
  }
  if (typeof entityType !== "string" || entityType === "") {
    throw new TransactionsError(TransactionsErrorCode.InvalidConfig, "createKalphiteSync: entityType must be a non-empty string");
  }
  const applyToStore = options.applyToStore ?? true;
  const toOperations = options.toOperations ?? (({ transaction, changes }) => defaultOperations(entityType, transaction, changes));
  const trackers = new Map<string, Tracker>();

  const settle = (name: string, args: unknown[], outcome: { error?: string }) => {
    const key = JSON.stringify(args);
    for (const tracker of trackers.values()) {
      const op = tracker.ops.find((o) => o.name === name && o.key === key && (o.state === "accepted" || o.state === "queued"));
      if (op === undefined) continue;
      if (outcome.error === undefined) op.state = "confirmed";
      else {
        op.state = "failed";
        op.error = outcome.error;
      }
      tracker.changed?.();
      return;
    }
  };
  engine.onOperationConfirmed((op) => settle(op.name, op.args, {}));
  engine.onOperationFailed(({ operation, error }) => settle(operation.name, operation.args, { error }));

  // Patches are followed from now on (not only from setup): what a pull brings before the
  // collection starts is not lost.
  const known = new Set<string>();
  const early = new Map<string, TEntity | null>();
  let deliver: ((update: Record<string, TEntity | null>) => void) | undefined;
  engine.onStatePatch((patch) => {
    const update: Record<string, TEntity | null> = {};
    const remote: RemoteChange<TEntity>[] = [];
    for (const entity of patch.entities) {
      if (entity.type !== entityType) continue;
      update[entity.id] = entity as unknown as TEntity;
      remote.push({ operation: "upsert", entityType, entityId: entity.id, entity: entity as unknown as TEntity });
    }
    for (const d of patch.deleted ?? patch.deletedEntityIds.map((entityId) => ({ entityType: "unknown", entityId }))) {
      if (d.entityType !== entityType && !(d.entityType === "unknown" && known.has(d.entityId))) continue;
      update[d.entityId] = null;
      remote.push({ operation: "delete", entityType, entityId: d.entityId });
    }
    if (patch.reset) {
      for (const id of known) {
        if (id in update) continue;
        update[id] = null;
        remote.push({ operation: "delete", entityType, entityId: id });
      }
    }
    for (const [id, value] of Object.entries(update)) {
      if (value === null) known.delete(id);
      else known.add(id);
    }
    if (remote.length === 0) return;
    if (applyToStore) store.applyRemote(remote);
    if (deliver !== undefined) deliver(update);
    else for (const [id, value] of Object.entries(update)) early.set(id, value);
  });

  const sync: SyncConfig<TEntity> = {
    id: options.id ?? `kalphite:${entityType}`,
    async setup({ onUpdate }) {
      const data: Record<string, TEntity | null> = {};
      for (const entity of store.getByType(entityType)) {
        data[entity.id] = entity;
        known.add(entity.id);
      }
      // Patches pulled before setup (when they are not applied to the store).
      for (const [id, value] of early) data[id] = value;
      early.clear();
      deliver = onUpdate;
      return { data };
    },
  };

  const mutationFn: MutationFn<TEntity> = {
    async persist({ transaction, changes }) {
      let tracker = trackers.get(transaction.id);
      if (tracker === undefined) {
        const raw = toOperations({ transaction, changes });
        if (!Array.isArray(raw) || raw.some((op) => typeof op?.name !== "string" || !Array.isArray(op.args))) {
          throw new NonRetriableError("createKalphiteSync: toOperations must return an array of { name, args }");
        }
        tracker = { raw, ops: raw.map((op) => ({ name: op.name, key: JSON.stringify(op.args), state: "queued" as const })) };
        trackers.set(transaction.id, tracker);
      }
      for (const [i, op] of tracker.ops.entries()) {
        if (op.state !== "queued") continue;
        const operation = tracker.raw[i]!;
        // Rejects for bad arguments (never retriable), a full queue or failed storage (retried).
        try {
          await engine.executeOperation(operation.name, operation.args as unknown[]);
        } catch (error) {
          if ((error as { code?: unknown }).code === "INVALID_ARGUMENT") {
            trackers.delete(transaction.id);
            throw new NonRetriableError(`operation ${operation.name} was refused: ${(error as Error).message}`, { cause: error });
          }
          throw error;
        }
        if (op.state === "queued") op.state = "accepted";
      }
    },

    async awaitSync({ transaction }) {
      const tracker = trackers.get(transaction.id);
      if (tracker === undefined) return;
      try {
        await new Promise<void>((resolve, reject) => {
          const check = () => {
            const failed = tracker.ops.find((o) => o.state === "failed");
            if (failed !== undefined) {
              delete tracker.changed;
              reject(new NonRetriableError(`the server refused ${failed.name}: ${failed.error ?? "refused"}`));
            } else if (tracker.ops.every((o) => o.state === "confirmed")) {
              delete tracker.changed;
              resolve();
            }
          };
          tracker.changed = check;
          check();
        });
      } finally {
        trackers.delete(transaction.id);
      }
      // A pull made after the confirmation carries the operations' effects.
      await new Promise<void>((resolve) => {
        const off = engine.onStatePatch(() => {
          off();
          resolve();
        });
        engine.syncState().then(
          () => {
            off();
            resolve();
          },
          () => undefined, // failed pulls are retried by the engine; the next patch resolves this
        );
      });
    },
  };

  return { sync, mutationFn };
}
