import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { TypedCollection } from "./collection";
import { KalphiteError, StoreErrorCode } from "./errors";
import { StoreCore, type ApplyPatchesOptions, type StoreOptions, type StoreTransactionResult } from "./internal/store-core";
import type { JsonPatchOperation } from "./patches";
import { assertStandardSchema, type EntitySchema, type InferEntity } from "./schema";
import type { BaseEntity, BatchOptions, ChangeListener, Entity, EntityId, LoadOptions, LoadResult, RemoteChange } from "./types";

/**
 * The member of the entity union whose `type` is `K`; the entity type itself
 * when its `type` is just `string` (a store without a schema).
 */
export type EntityOfType<TEntity extends BaseEntity, K extends TEntity["type"]> = string extends TEntity["type"]
  ? TEntity
  : Extract<TEntity, { type: K }>;

/** `store.<type>` for every type of the entity union. */
export type StoreCollections<TEntity extends BaseEntity> = {
  readonly [K in TEntity["type"]]: TypedCollection<EntityOfType<TEntity, K>>;
};

/** The methods every store has, next to its collections. */
export interface StoreMethods<TEntity extends BaseEntity> {
  /** The entity `(type, id)`, in O(1); the fastest lookup (it skips the collection's write guard). */
  getById<K extends TEntity["type"]>(type: K, id: EntityId): EntityOfType<TEntity, K> | undefined;
  /** The live collection of a type; the same object as `store[type]`. */
  getByType<K extends TEntity["type"]>(type: K): TypedCollection<EntityOfType<TEntity, K>>;
  /**
   * Bulk-loads entities (from local storage): validated first, applied as one
   * batch with one notification, `origin: "load"`, never sent to the sink.
   * With `onInvalid: "skip"` (@default "throw") the entities that fail
   * validation are left out and listed in the result instead.
   */
  loadEntities(entities: Iterable<TEntity>, options?: LoadOptions): LoadResult;
  /** Deletes every entity of every type (as local deletes), as one batch. */
  clear(): void;
  /**
   * Runs `fn` as one batch: listeners hear about every change inside it once,
   * at the end, and the sink gets it as one `ChangeBatch` (with `meta`).
   * Nested calls join the outer batch. When `fn` throws, what it applied
   * stays applied and is published; use `transaction` to undo it. Returns
   * `fn`'s result.
   */
  batch<R>(fn: () => R, options?: BatchOptions): R;
  /**
   * Runs `fn` as one batch that applies whole or not at all. When `fn`
   * throws, nothing of it remains (collections and live views as before, no
   * listener hears anything, the sink gets nothing) and the error is
   * rethrown; `fn` must be synchronous (a returned Promise is refused with
   * `INVALID_ARGUMENT` and its changes undone). On success: one notification,
   * one batch to the sink, and the changes as JSON Patch operations with
   * their inverse. Nested calls join the outer batch.
   */
  transaction<R>(fn: () => R, options?: BatchOptions): StoreTransactionResult<R>;
  /**
   * Applies JSON Patch operations (as `transaction` reports them) as one
   * batch, atomically: a bad operation or an entity that fails validation
   * applies nothing. `origin` @default "local".
   */
  applyPatches(patches: readonly JsonPatchOperation[], options?: ApplyPatchesOptions): void;
  /** Listens to every change, once per batch. Returns the unsubscribe function. */
  subscribe(listener: ChangeListener<TEntity>): () => void;
  /**
   * Applies changes from a server as `origin: "remote"`: validated first,
   * applied as one batch, sent to the sink (they must become durable locally)
   * but marked so a sync layer does not echo them back.
   */
  applyRemote(changes: Iterable<RemoteChange<TEntity>>, options?: BatchOptions): void;
  /** The types that currently hold at least one entity. */
  types(): TEntity["type"][];
}

/**
 * A Kalphite store: `store.todo` is the live `TypedCollection` of the entities
 * with `type: "todo"`, inferred from the schema.
 */
export type KalphiteStore<TEntity extends BaseEntity = Entity> = StoreMethods<TEntity> & StoreCollections<TEntity>;

// Names that tools probe on arbitrary objects (promises, JSON, React, test
// matchers, inspectors): never collections, so probing a store creates nothing.
const NOT_COLLECTIONS = new Set([
  "then", "catch", "finally", "toJSON", "constructor", "prototype", "__proto__", "$$typeof", "asymmetricMatch",
  "nodeType", "tagName", "inspect", "valueOf", "toString", "toLocaleString", "hasOwnProperty", "isPrototypeOf",
  "propertyIsEnumerable", "@@__IMMUTABLE_ITERABLE__@@", "@@__IMMUTABLE_RECORD__@@", "_isMockFunction",
]);

/**
 * Creates a store.
 *
 * @param schema any Standard Schema (Zod, Valibot, ArkType…), typically a
 *   discriminated union on `type`; without one, any object with a non-empty
 *   string `id` and `type` is accepted.
 * @param options `sink` (persistence), `freeze` (@default true), `onListenerError`.
 *
 * @example
 * const store = KalphiteStore(z.discriminatedUnion("type", [Todo, Project]));
 * store.todo.upsert("t1", { title: "Ship it", done: false, updatedAt: Date.now() });
 * store.todo.filter((t) => !t.done);
 */
export function KalphiteStore<TSchema extends StandardSchemaV1<unknown, BaseEntity>>(
  schema: TSchema,
  options?: StoreOptions,
): KalphiteStore<InferEntity<TSchema>>;
export function KalphiteStore<TEntity extends BaseEntity = Entity>(schema?: undefined, options?: StoreOptions): KalphiteStore<TEntity>;
export function KalphiteStore(schema?: EntitySchema, options: StoreOptions = {}): KalphiteStore<BaseEntity> {
  assertStandardSchema(schema);
  checkOptions(options);
  const core = new StoreCore(schema, options);
  const methods: StoreMethods<BaseEntity> = {
    // Straight to the data, not through the collection's write guard: the fastest lookup there is.
    getById: ((type: string, id: EntityId) => core.existingState(type)?.get(id)) as StoreMethods<BaseEntity>["getById"],
    getByType: ((type: string) => core.collection(type)) as StoreMethods<BaseEntity>["getByType"],
    loadEntities: (entities, options) => core.loadEntities(entities, options),
    clear: () => core.clear(),
    batch: (fn, options) => core.batch(fn, options),
    transaction: (fn, options) => core.transaction(fn, options),
    applyPatches: (patches, options) => core.applyPatches(patches, options),
    subscribe: (listener) => core.subscribe(listener),
    applyRemote: (changes, options) => core.applyRemote(changes, options),
    types: () => core.types(),
  };
  // The store is a plain object: its methods and every created collection are
  // its own properties, so `store.todo` is an ordinary property read. Only a
  // name it does not have yet reaches its prototype, a Proxy that creates the
  // collection (and refuses assignments).
  const store = Object.create(storeFallback(core)) as Record<string, unknown>;
  for (const [name, method] of Object.entries(methods)) {
    Object.defineProperty(store, name, { value: method, enumerable: false, writable: false, configurable: false });
  }
  core.onCollectionKept = (type, collection) => {
    if (Object.prototype.hasOwnProperty.call(methods, type)) return; // a method name: reach it with getByType(type)
    Object.defineProperty(store, type, {
      get: () => collection,
      set: () => {
        throw assignmentError(type);
      },
      enumerable: true,
      configurable: true,
    });
  };
  core.onCollectionReleased = (type) => {
    if (Object.prototype.hasOwnProperty.call(methods, type)) return;
    // Reads reach the prototype again, which finds the same collection while anyone holds it.
    delete store[type];
  };
  return store as KalphiteStore<BaseEntity>;
}

function assignmentError(property: PropertyKey): KalphiteError {
  return new KalphiteError(
    StoreErrorCode.UnsupportedMutation,
    `store.${String(property)} cannot be assigned: collections are live views of the store. Write with store.${String(property)}.upsert(id, entity).`,
  );
}

/** The prototype of a store: answers names the store does not have yet. */
function storeFallback(core: StoreCore): object {
  return new Proxy(Object.create(null) as object, {
    get(_target, property) {
      if (typeof property === "symbol") return undefined;
      if (property in Object.prototype) return (Object.prototype as Record<string, unknown>)[property];
      return NOT_COLLECTIONS.has(property) ? undefined : core.collection(property);
    },
    has(_target, property) {
      return property in Object.prototype || (typeof property === "string" && core.existingState(property) !== undefined);
    },
    set(_target, property) {
      throw assignmentError(property);
    },
    defineProperty(_target, property) {
      throw new KalphiteError(StoreErrorCode.UnsupportedMutation, `store.${String(property)} cannot be defined on a store.`);
    },
  });
}

/** Alias of `KalphiteStore`, for codebases that name factories `createX`. */
export const createKalphiteStore = KalphiteStore;

function checkOptions(options: unknown): asserts options is StoreOptions {
  if (typeof options !== "object" || options === null) {
    throw new KalphiteError(StoreErrorCode.InvalidArgument, "KalphiteStore(schema, options): options must be an object");
  }
  const { sink, freeze, onListenerError } = options as Record<string, unknown>;
  if (sink !== undefined) {
    const s = sink as Partial<Record<"scheduleFlush" | "scheduleDelete", unknown>> | null;
    if (typeof s?.scheduleFlush !== "function" || typeof s.scheduleDelete !== "function") {
      throw new KalphiteError(StoreErrorCode.InvalidArgument, "KalphiteStore options.sink must have scheduleFlush(entityId, entity) and scheduleDelete(entityId, entityType) (a ChangeSink, e.g. a MemoryFlushEngine)");
    }
    const batchMethod = (sink as { scheduleBatch?: unknown }).scheduleBatch;
    if (batchMethod !== undefined && typeof batchMethod !== "function") {
      throw new KalphiteError(StoreErrorCode.InvalidArgument, "KalphiteStore options.sink.scheduleBatch, when present, must be a function (batch) => void");
    }
  }
  if (freeze !== undefined && typeof freeze !== "boolean") {
    throw new KalphiteError(StoreErrorCode.InvalidArgument, "KalphiteStore options.freeze must be a boolean");
  }
  if (onListenerError !== undefined && typeof onListenerError !== "function") {
    throw new KalphiteError(StoreErrorCode.InvalidArgument, "KalphiteStore options.onListenerError must be a function");
  }
}
