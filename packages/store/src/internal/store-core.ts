import { Immer, type Draft } from "immer";
import { createCollection, type TypedCollection } from "../collection";
import { KalphiteError, StoreErrorCode, ValidationError } from "../errors";
import { deepFreeze } from "../freeze";
import { validateEntity, type EntitySchema } from "../schema";
import type {
  BaseEntity,
  ChangeListener,
  ChangeOperation,
  ChangeOrigin,
  ChangeRecord,
  ChangeSink,
  EntityId,
  ListenerErrorHandler,
  RemoteChange,
} from "../types";
import { CollectionState, type CollectionObserver } from "./collection-state";

/** Options of `KalphiteStore(schema, options)`. */
export interface StoreOptions {
  /** Receives every local and remote change to make it durable (a `MemoryFlushEngine`). */
  sink?: ChangeSink | undefined;
  /**
   * Deep-freeze stored entities so in-place mutation throws. Turn off for hot
   * paths that never mutate what they read.
   * @default true
   */
  freeze?: boolean | undefined;
  /** Called when a listener throws. @default logs with console.error */
  onListenerError?: ListenerErrorHandler | undefined;
}

const defaultListenerError: ListenerErrorHandler = (error, context) => {
  console.error(`[kalphite] a ${context.entityType ? `store.${context.entityType}` : "store"} listener threw:`, error);
};

type AnyState = CollectionState<BaseEntity>;

/**
 * The engine behind a store: collections by type, validation, the sink, and
 * batched delivery of change records. Collections and the public store object
 * delegate every write here so the rules live in one place.
 */
export class StoreCore {
  readonly #schema: EntitySchema | undefined;
  readonly #sink: ChangeSink | undefined;
  readonly #freeze: boolean;
  readonly #onListenerError: ListenerErrorHandler;
  readonly #immer: Immer;
  readonly #states = new Map<string, AnyState>();
  readonly #collections = new Map<string, TypedCollection<BaseEntity>>();
  readonly #listeners = new Set<ChangeListener<BaseEntity>>();
  /** Called once per type, when its collection is created (the store exposes it as a property). */
  onCollectionCreated: ((type: string, collection: TypedCollection<BaseEntity>) => void) | undefined;
  #depth = 0;
  #delivering = false;
  #pending: ChangeRecord<BaseEntity>[] = [];
  #touched: AnyState[] = [];

  constructor(schema: EntitySchema | undefined, options: StoreOptions) {
    this.#schema = schema;
    this.#sink = options.sink;
    this.#freeze = options.freeze ?? true;
    this.#onListenerError = options.onListenerError ?? defaultListenerError;
    this.#immer = new Immer({ autoFreeze: this.#freeze });
  }

  /** The collection of `type`, created on first use. */
  collection(type: string): TypedCollection<BaseEntity> {
    return this.#collections.get(type) ?? this.#create(type).collection;
  }

  /** The collection of `type` if it was created already (no side effect). */
  existingCollection(type: string): TypedCollection<BaseEntity> | undefined {
    return this.#collections.get(type);
  }

  /** The data of `type` if its collection was created already (no side effect). */
  existingState(type: string): AnyState | undefined {
    return this.#states.get(type);
  }

  state(type: string): AnyState {
    return this.#states.get(type) ?? this.#create(type).state;
  }

  /** Every type that currently holds at least one entity. */
  types(): string[] {
    const types: string[] = [];
    for (const [type, state] of this.#states) if (state.items.length > 0) types.push(type);
    return types;
  }

  #create(type: string) {
    const state = new CollectionState<BaseEntity>(type, this);
    const collection = createCollection(state);
    this.#states.set(type, state);
    this.#collections.set(type, collection);
    this.onCollectionCreated?.(type, collection);
    return { state, collection };
  }

  // ---- validation ---------------------------------------------------------

  /** Validates (and freezes) one entity for `state`, filling in a missing id/type from the call. */
  #prepare(state: AnyState, id: EntityId | undefined, input: unknown): BaseEntity {
    let value = input;
    if (typeof input === "object" && input !== null && !Array.isArray(input)) {
      const given = input as { id?: unknown; type?: unknown };
      if (id !== undefined && given.id !== undefined && given.id !== id) {
        throw new KalphiteError(StoreErrorCode.IdMismatch, `store.${state.type}.upsert("${id}", entity): entity.id is ${JSON.stringify(given.id)}, not "${id}"`);
      }
      if (given.type !== undefined && given.type !== state.type) {
        throw new KalphiteError(StoreErrorCode.TypeMismatch, `store.${state.type}: entity "${String(given.id ?? id)}" has type ${JSON.stringify(given.type)}; it belongs in store.${String(given.type)}`);
      }
      if ((given.id === undefined && id !== undefined) || given.type === undefined) {
        value = { ...given, id: given.id ?? id, type: state.type };
      }
    }
    const entity = validateEntity(this.#schema, value, state.type);
    if (entity.type !== state.type) {
      throw new KalphiteError(StoreErrorCode.TypeMismatch, `store.${state.type}: the schema turned entity "${entity.id}" into type "${entity.type}"`);
    }
    return this.#freeze ? deepFreeze(entity) : entity;
  }

  /** Validates an entity whose `type` picks the collection (loads). */
  #prepareAny(input: unknown): BaseEntity {
    const type = (input as { type?: unknown } | null)?.type;
    if (typeof type !== "string" || type === "") {
      validateEntity(undefined, input); // throws a ValidationError naming what is missing
    }
    return this.#prepare(this.state(type as string), undefined, input);
  }

  // ---- writes -------------------------------------------------------------

  upsert(state: AnyState, id: EntityId, input: unknown, origin: ChangeOrigin): BaseEntity {
    const entity = this.#prepare(state, id, input);
    this.#write(state, entity, origin);
    this.#settle();
    return entity;
  }

  upsertMany(state: AnyState, inputs: Iterable<unknown>, origin: ChangeOrigin): BaseEntity[] {
    const entities: BaseEntity[] = [];
    for (const input of inputs) entities.push(this.#prepare(state, undefined, input));
    this.#depth++;
    try {
      for (const entity of entities) this.#write(state, entity, origin);
    } finally {
      this.#depth--;
    }
    this.#settle();
    return entities;
  }

  delete(state: AnyState, id: EntityId, origin: ChangeOrigin): boolean {
    if (!state.has(id)) return false;
    this.#remove(state, id, origin);
    this.#settle();
    return true;
  }

  deleteMany(state: AnyState, ids: Iterable<EntityId>, origin: ChangeOrigin): number {
    const present = new Set<EntityId>();
    for (const id of ids) if (state.has(id)) present.add(id);
    if (present.size === 0) return 0;
    if (present.size === 1) {
      for (const id of present) this.#remove(state, id, origin);
    } else {
      let failure: { error: unknown } | undefined;
      let removing = present;
      if (origin !== "load" && this.#sink) {
        // Memory and durable storage must agree: if the sink refuses a delete
        // part-way (a full queue), apply exactly the deletes it accepted.
        const scheduled = new Set<EntityId>();
        try {
          for (const id of present) {
            this.#sink.scheduleDelete(id, state.type);
            scheduled.add(id);
          }
        } catch (error) {
          failure = { error };
          removing = scheduled;
        }
      }
      if (removing.size > 0) {
        for (const prev of state.removeMany(removing)) this.#record(state, "delete", prev.id, undefined, prev, origin);
      }
      if (failure) {
        this.#settle();
        throw failure.error;
      }
    }
    this.#settle();
    return present.size;
  }

  update(state: AnyState, id: EntityId, recipe: (draft: Draft<BaseEntity>) => void): BaseEntity {
    const current = state.get(id);
    if (current === undefined) {
      throw new KalphiteError(StoreErrorCode.NotFound, `store.${state.type}.update("${id}"): no ${state.type} with that id`);
    }
    const next = this.#immer.produce(current, recipe);
    if (next === current) return current;
    return this.upsert(state, id, next, "local");
  }

  /** Bulk load (origin "load"): validated first, applied as one batch, never sent to the sink. */
  loadEntities(inputs: Iterable<unknown>): void {
    const entities: BaseEntity[] = [];
    for (const input of inputs) entities.push(this.#prepareAny(input));
    this.#depth++;
    try {
      let state: AnyState | undefined;
      for (const entity of entities) {
        if (state === undefined || state.type !== entity.type) state = this.state(entity.type);
        this.#write(state, entity, "load");
      }
    } finally {
      this.#depth--;
    }
    this.#settle();
  }

  /** Remote changes (origin "remote"): validated first, applied as one batch, sent to the sink. */
  applyRemote(changes: Iterable<RemoteChange<BaseEntity>>): void {
    const prepared: { state: AnyState; id: EntityId; entity: BaseEntity | undefined }[] = [];
    for (const change of changes) {
      const { operation, entityType, entityId } = (change ?? {}) as Partial<RemoteChange<BaseEntity>>;
      if ((operation !== "upsert" && operation !== "delete") || typeof entityType !== "string" || entityType === "" || typeof entityId !== "string" || entityId === "") {
        throw new ValidationError(typeof entityType === "string" ? entityType : undefined, typeof entityId === "string" ? entityId : undefined, [
          { message: "a remote change needs operation \"upsert\" | \"delete\", a non-empty entityType and entityId", path: [] },
        ]);
      }
      const state = this.state(entityType);
      if (operation === "delete") {
        prepared.push({ state, id: entityId, entity: undefined });
        continue;
      }
      if (change.entity === undefined) {
        throw new ValidationError(entityType, entityId, [{ message: "a remote upsert needs an entity", path: ["entity"] }]);
      }
      const entity = this.#prepare(state, entityId, change.entity);
      prepared.push({ state, id: entityId, entity });
    }
    this.#depth++;
    try {
      for (const { state, id, entity } of prepared) {
        if (entity !== undefined) this.#write(state, entity, "remote");
        else if (state.has(id)) this.#remove(state, id, "remote");
      }
    } finally {
      this.#depth--;
    }
    this.#settle();
  }

  /** Deletes every entity of every type (local deletes: sent to the sink). */
  clear(): void {
    this.#depth++;
    try {
      for (const state of this.#states.values()) {
        if (state.items.length === 0) continue;
        this.deleteMany(state, state.items.map((e) => e.id), "local");
      }
    } finally {
      this.#depth--;
    }
    this.#settle();
  }

  batch<R>(fn: () => R): R {
    if (typeof fn !== "function") throw new KalphiteError(StoreErrorCode.InvalidArgument, "store.batch(fn): fn must be a function");
    this.#depth++;
    try {
      return fn();
    } finally {
      this.#depth--;
      this.#settle();
    }
  }

  subscribe(listener: ChangeListener<BaseEntity>): () => void {
    return addListener(this.#listeners, listener, "store.subscribe");
  }

  subscribeType(state: AnyState, listener: ChangeListener<BaseEntity>): () => void {
    return addListener(state.listeners, listener, `store.${state.type}.subscribe`);
  }

  /** Registers a live view's observer on a collection; returns the function that removes it. */
  observe(state: AnyState, observer: CollectionObserver<BaseEntity>): () => void {
    state.observers.add(observer);
    return () => {
      state.observers.delete(observer);
    };
  }

  // ---- internals ----------------------------------------------------------

  #write(state: AnyState, entity: BaseEntity, origin: ChangeOrigin): void {
    if (origin !== "load" && this.#sink) this.#sink.scheduleFlush(entity.id, entity);
    const prev = state.put(entity);
    this.#record(state, "upsert", entity.id, entity, prev, origin);
  }

  #remove(state: AnyState, id: EntityId, origin: ChangeOrigin): void {
    if (origin !== "load" && this.#sink) this.#sink.scheduleDelete(id, state.type);
    const prev = state.remove(id);
    this.#record(state, "delete", id, undefined, prev, origin);
  }

  #record(state: AnyState, operation: ChangeOperation, id: EntityId, next: BaseEntity | undefined, prev: BaseEntity | undefined, origin: ChangeOrigin): void {
    const observed = state.observers.size > 0;
    if (observed) {
      for (const observer of state.observers) {
        try {
          observer.change(operation, id, next, prev);
        } catch (error) {
          this.#report(error, state.type);
        }
      }
    }
    const typeListeners = state.listeners.size > 0;
    if (typeListeners || this.#listeners.size > 0) {
      const record: ChangeRecord<BaseEntity> = { operation, entityType: state.type, entityId: id, entity: next ?? prev, origin };
      if (this.#listeners.size > 0) this.#pending.push(record);
      if (typeListeners) state.pending.push(record);
    }
    if ((observed || typeListeners) && !state.touched) {
      state.touched = true;
      this.#touched.push(state);
    }
  }

  /** Delivers what is pending unless a batch is still open or a delivery is under way. */
  #settle(): void {
    if (this.#depth > 0 || this.#delivering) return;
    if (this.#pending.length === 0 && this.#touched.length === 0) return;
    this.#delivering = true;
    try {
      // Listeners may write; their changes are delivered in the next round, in order.
      while (this.#pending.length > 0 || this.#touched.length > 0) {
        const touched = this.#touched;
        const pending = this.#pending;
        if (touched.length > 0) {
          this.#touched = [];
          for (const state of touched) this.#deliverType(state);
        }
        if (pending.length > 0) {
          this.#pending = [];
          for (const listener of this.#listeners) {
            try {
              listener(pending);
            } catch (error) {
              this.#report(error, undefined);
            }
          }
        }
      }
    } finally {
      this.#delivering = false;
    }
  }

  #deliverType(state: AnyState): void {
    state.touched = false;
    for (const observer of state.observers) {
      try {
        observer.flush();
      } catch (error) {
        this.#report(error, state.type);
      }
    }
    const records = state.pending;
    if (records.length === 0) return;
    state.pending = [];
    for (const listener of state.listeners) {
      try {
        listener(records);
      } catch (error) {
        this.#report(error, state.type);
      }
    }
  }

  #report(error: unknown, entityType: string | undefined): void {
    try {
      this.#onListenerError(error, { entityType });
    } catch {
      // An error handler that throws must not break delivery either.
    }
  }
}

function addListener<TListener>(set: Set<TListener>, listener: TListener, where: string): () => void {
  if (typeof listener !== "function") throw new KalphiteError(StoreErrorCode.InvalidArgument, `${where}(listener): listener must be a function`);
  set.add(listener);
  return () => {
    set.delete(listener);
  };
}
