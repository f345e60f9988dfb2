import { Immer, type Draft } from "immer";
import { createCollection, type TypedCollection } from "../collection";
import { KalphiteError, StoreErrorCode, ValidationError } from "../errors";
import { checkJsonData, isJsonData } from "../json-data";
import { applyPatchesTo, jsonEqual, PatchRecorder, type JsonPatchOperation } from "../patches";
import { validateEntity, type EntitySchema } from "../schema";
import type {
  BaseEntity,
  BatchMeta,
  BatchOptions,
  ChangeBatch,
  ChangeListener,
  ChangeOperation,
  ChangeOrigin,
  ChangeRecord,
  ChangeSink,
  EntityId,
  InvalidEntity,
  ListenerErrorHandler,
  LoadOptions,
  LoadResult,
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

/** One change applied in the open batch: enough to publish it, send it, or undo it. */
interface Step {
  readonly state: AnyState;
  readonly id: EntityId;
  /** The entity after the change; undefined for a delete. */
  readonly next: BaseEntity | undefined;
  /** The entity before the change; undefined for an insert. */
  readonly prev: BaseEntity | undefined;
  /** The collection-order rank of the entity (a deleted one is restored there); -1 when unknown and unneeded. */
  readonly seq: number;
  readonly origin: ChangeOrigin;
}

/** The batch being applied; its id string is made only when something asks for it (the sink, a transaction). */
class OpenBatch {
  readonly number: number;
  /**
   * The batch's changes, as far as anyone needs them: all of them when the
   * store has a sink or store-wide listeners, or inside a transaction (which
   * may roll back); else none (a collection's listeners get their records at
   * once, see `#hear`; a load or a write nobody listens to keeps nothing).
   */
  readonly steps: Step[] = [];
  /** Whether every change is recorded (see `steps`). */
  recording: boolean;
  /** Collections left empty by a delete of this batch (candidates for `#release`). */
  emptied: AnyState[] | undefined;
  meta: Record<string, unknown> | undefined;

  constructor(number: number, meta: Record<string, unknown> | undefined, recording: boolean) {
    this.number = number;
    this.meta = meta;
    this.recording = recording;
  }

  get id(): string {
    return `b${this.number}`;
  }

  /** Records that a delete left `state` empty. */
  emptiedState(state: AnyState): void {
    (this.emptied ??= []).push(state);
  }
}

/** What `store.transaction(fn)` returns. */
export interface StoreTransactionResult<R> {
  /** What `fn` returned. */
  readonly result: R;
  /** The transaction's changes as RFC 6902 operations on `/<type>/<id>[/<field>…]`. */
  readonly patches: JsonPatchOperation[];
  /** Applied after `patches` (in this order), they undo them. */
  readonly inversePatches: JsonPatchOperation[];
  /** The batch the changes belong to (the outer one's, when nested). */
  readonly batchId: string;
}

/** Options of `store.applyPatches`. */
export interface ApplyPatchesOptions extends BatchOptions {
  /** The origin of the changes. @default "local" */
  readonly origin?: "local" | "remote" | undefined;
}

const isThenable = (value: unknown): boolean =>
  (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function";

const recordOf = (step: Step): ChangeRecord<BaseEntity> => ({
  operation: step.next === undefined ? "delete" : "upsert",
  entityType: step.state.type,
  entityId: step.id,
  entity: step.next ?? step.prev,
  origin: step.origin,
});

/** Checks a write's `{ meta }` options; returns the meta. */
function checkBatchOptions(options: BatchOptions | undefined, where: string): BatchMeta | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null) throw new KalphiteError(StoreErrorCode.InvalidArgument, `${where}: options must be an object`);
  const meta = options.meta;
  if (meta === undefined) return undefined;
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) {
    throw new KalphiteError(StoreErrorCode.InvalidArgument, `${where}: options.meta must be a plain object of JSON values`);
  }
  // Meta is stored with the batch: JSON data only, like entities.
  const checked = checkJsonData(meta, true);
  if (checked.issues !== undefined) {
    const first = checked.issues[0]!;
    throw new KalphiteError(StoreErrorCode.InvalidArgument, `${where}: options.meta${first.path.map((k) => `.${String(k)}`).join("")}: ${first.message}`);
  }
  return checked.value as BatchMeta;
}

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
  /**
   * Collections that hold something (an entity, a listener, a live view):
   * kept, and exposed as properties of the store object.
   */
  readonly #states = new Map<string, AnyState>();
  /**
   * Collections created by a read that hold nothing: alive only while the
   * application holds them, so reading arbitrary names (or a server naming
   * arbitrary types) cannot grow memory.
   */
  readonly #weak = new Map<string, WeakRef<AnyState>>();
  readonly #registry = new FinalizationRegistry<string>((type) => {
    if (this.#weak.get(type)?.deref() === undefined) this.#weak.delete(type);
  });
  readonly #listeners = new Set<ChangeListener<BaseEntity>>();
  /** Called when a collection starts holding something (the store exposes it as a property). */
  onCollectionKept: ((type: string, collection: TypedCollection<BaseEntity>) => void) | undefined;
  /** Called when a kept collection holds nothing any more (the store's property goes). */
  onCollectionReleased: ((type: string) => void) | undefined;
  #depth = 0;
  #batchCount = 0;
  /** The open batch (while `#depth > 0`). */
  #batch: OpenBatch | undefined;
  #delivering = false;
  #pending: ChangeRecord<BaseEntity>[] = [];
  #touched: AnyState[] = [];
  #spareTouched: AnyState[] = [];

  constructor(schema: EntitySchema | undefined, options: StoreOptions) {
    this.#schema = schema;
    this.#sink = options.sink;
    this.#freeze = options.freeze ?? true;
    this.#onListenerError = options.onListenerError ?? defaultListenerError;
    this.#immer = new Immer({ autoFreeze: this.#freeze });
  }

  /** The collection of `type`, created on first use. */
  collection(type: string): TypedCollection<BaseEntity> {
    return this.state(type).collection;
  }

  /** The data of `type` if its collection exists (no side effect). */
  existingState(type: string): AnyState | undefined {
    return this.#states.get(type) ?? this.#weak.get(type)?.deref();
  }

  /** The data of `type`, its collection created if need be (not kept until it holds something). */
  state(type: string): AnyState {
    return this.#states.get(type) ?? this.#weak.get(type)?.deref() ?? this.#create(type);
  }

  /** Every type that currently holds at least one entity. */
  types(): string[] {
    const types: string[] = [];
    for (const [type, state] of this.#states) if (state.size > 0) types.push(type);
    return types;
  }

  #create(type: string): AnyState {
    const state = new CollectionState<BaseEntity>(type, this);
    state.collection = createCollection(state);
    this.#weak.set(type, new WeakRef(state));
    this.#registry.register(state, type);
    return state;
  }

  /** The collection holds something now: keep it. */
  #keep(state: AnyState): void {
    if (state.kept) return;
    state.kept = true;
    this.#states.set(state.type, state);
    this.#weak.delete(state.type);
    this.onCollectionKept?.(state.type, state.collection);
  }

  /** The collection holds nothing any more: hold it weakly again. */
  #release(state: AnyState): void {
    if (!state.kept || !state.idle || this.#states.get(state.type) !== state) return;
    state.kept = false;
    this.#states.delete(state.type);
    this.#weak.set(state.type, new WeakRef(state));
    this.#registry.register(state, state.type);
    this.onCollectionReleased?.(state.type);
  }

  // ---- validation ---------------------------------------------------------

  /** Validates (and freezes) one entity for `state`, filling in a missing id/type from the call. */
  #prepare(state: AnyState, id: EntityId | undefined, input: unknown): BaseEntity {
    let value = input;
    let expectedId = id;
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
      if (expectedId === undefined && typeof given.id === "string") expectedId = given.id;
    }
    const validated = validateEntity(this.#schema, value, state.type);
    // The schema may transform: what it returns must still be this (type, id).
    if (validated.type !== state.type) {
      throw new KalphiteError(StoreErrorCode.TypeMismatch, `store.${state.type}: the schema turned entity "${validated.id}" into type "${validated.type}"`);
    }
    if (expectedId !== undefined && validated.id !== expectedId) {
      throw new KalphiteError(StoreErrorCode.IdMismatch, `store.${state.type}: the schema turned the id of entity "${expectedId}" into "${validated.id}"`);
    }
    if (isJsonData(validated, this.#freeze)) return validated;
    const checked = checkJsonData(validated, this.#freeze);
    if (checked.issues !== undefined) throw new ValidationError(state.type, validated.id, checked.issues);
    return checked.value as BaseEntity;
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
    this.#open(undefined);
    this.#write(state, entity, origin);
    this.#close();
    return entity;
  }

  upsertMany(state: AnyState, inputs: Iterable<unknown>, origin: ChangeOrigin): BaseEntity[] {
    const entities: BaseEntity[] = [];
    for (const input of inputs) entities.push(this.#prepare(state, undefined, input));
    this.#open(undefined);
    for (const entity of entities) this.#write(state, entity, origin);
    this.#close();
    return entities;
  }

  delete(state: AnyState, id: EntityId, origin: ChangeOrigin): boolean {
    if (!state.has(id)) return false;
    this.#open(undefined);
    this.#remove(state, id, origin);
    this.#close();
    return true;
  }

  deleteMany(state: AnyState, ids: Iterable<EntityId>, origin: ChangeOrigin): number {
    const present = new Set<EntityId>();
    for (const id of ids) if (state.has(id)) present.add(id);
    if (present.size === 0) return 0;
    this.#open(undefined);
    this.#removeMany(state, present, origin);
    this.#close();
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

  /**
   * Bulk load (origin "load"): validated first, applied as one batch, never
   * sent to the sink. With `onInvalid: "skip"` the entities that fail
   * validation are left out and reported instead of refusing the load.
   */
  loadEntities(inputs: Iterable<unknown>, options: LoadOptions | undefined): LoadResult {
    const onInvalid = options?.onInvalid ?? "throw";
    if (onInvalid !== "throw" && onInvalid !== "skip") {
      throw new KalphiteError(StoreErrorCode.InvalidArgument, `store.loadEntities(entities, { onInvalid }): onInvalid must be "throw" or "skip", not ${JSON.stringify(onInvalid)}`);
    }
    const entities: BaseEntity[] = [];
    const invalid: InvalidEntity[] = [];
    for (const input of inputs) {
      if (onInvalid === "throw") {
        entities.push(this.#prepareAny(input));
        continue;
      }
      try {
        entities.push(this.#prepareAny(input));
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        invalid.push({ entityType: error.entityType, entityId: error.entityId, entity: input, error });
      }
    }
    if (entities.length > 0) {
      this.#open(undefined);
      let state: AnyState | undefined;
      for (const entity of entities) {
        if (state === undefined || state.type !== entity.type) state = this.state(entity.type);
        this.#write(state, entity, "load");
      }
      this.#close();
    }
    return { loaded: entities.length, invalid };
  }

  /** Remote changes (origin "remote"): validated first, applied as one batch, sent to the sink. */
  applyRemote(changes: Iterable<RemoteChange<BaseEntity>>, options: BatchOptions | undefined): void {
    const meta = checkBatchOptions(options, "store.applyRemote(changes, options)");
    const prepared: { state: AnyState | undefined; id: EntityId; entity: BaseEntity | undefined }[] = [];
    for (const change of changes) {
      const { operation, entityType, entityId } = (change ?? {}) as Partial<RemoteChange<BaseEntity>>;
      if ((operation !== "upsert" && operation !== "delete") || typeof entityType !== "string" || entityType === "" || typeof entityId !== "string" || entityId === "") {
        throw new ValidationError(typeof entityType === "string" ? entityType : undefined, typeof entityId === "string" ? entityId : undefined, [
          { message: "a remote change needs operation \"upsert\" | \"delete\", a non-empty entityType and entityId", path: [] },
        ]);
      }
      if (operation === "delete") {
        // A delete of a type this store never held creates nothing.
        prepared.push({ state: this.existingState(entityType), id: entityId, entity: undefined });
        continue;
      }
      if (change.entity === undefined) {
        throw new ValidationError(entityType, entityId, [{ message: "a remote upsert needs an entity", path: ["entity"] }]);
      }
      const state = this.state(entityType);
      prepared.push({ state, id: entityId, entity: this.#prepare(state, entityId, change.entity) });
    }
    this.#open(meta);
    for (const { state, id, entity } of prepared) {
      if (state === undefined) continue;
      if (entity !== undefined) this.#write(state, entity, "remote");
      else if (state.has(id)) this.#remove(state, id, "remote");
    }
    this.#close();
  }

  /** Deletes every entity of every type (local deletes: sent to the sink). */
  clear(): void {
    this.#open(undefined);
    for (const state of this.#states.values()) {
      if (state.size === 0) continue;
      this.#removeMany(state, new Set(state.items.map((e) => e.id)), "local");
    }
    this.#close();
  }

  batch<R>(fn: () => R, options: BatchOptions | undefined): R {
    if (typeof fn !== "function") throw new KalphiteError(StoreErrorCode.InvalidArgument, "store.batch(fn): fn must be a function");
    const meta = checkBatchOptions(options, "store.batch(fn, options)");
    this.#open(meta);
    let result: R;
    try {
      result = fn();
    } catch (error) {
      // What fn applied before throwing stays applied (store.transaction undoes it).
      this.#close();
      throw error;
    }
    this.#close();
    return result;
  }

  /**
   * Runs `fn` as one batch that applies whole or not at all: when `fn`
   * throws, everything it changed is undone (collections, live views) and
   * nobody hears of it. Reports the changes as JSON Patch operations and
   * their inverse. Nested calls join the outer batch; a nested one that
   * throws undoes only its own changes.
   */
  transaction<R>(fn: () => R, options: BatchOptions | undefined): StoreTransactionResult<R> {
    if (typeof fn !== "function") throw new KalphiteError(StoreErrorCode.InvalidArgument, "store.transaction(fn): fn must be a function");
    const meta = checkBatchOptions(options, "store.transaction(fn, options)");
    const metaBefore = this.#batch?.meta;
    this.#open(meta);
    const batch = this.#batch!;
    batch.recording = true; // what follows may be rolled back
    const mark = batch.steps.length;
    const undo = () => {
      this.#rollback(batch, mark);
      batch.meta = metaBefore;
      this.#close();
    };
    let result: R;
    try {
      result = fn();
    } catch (error) {
      undo();
      throw error;
    }
    if (isThenable(result)) {
      undo();
      // The promise's own failure, if any, is the caller's bug reported here; keep it from going unhandled.
      (result as PromiseLike<unknown> & { catch?: (f: () => void) => unknown }).catch?.(() => undefined);
      throw new KalphiteError(
        StoreErrorCode.InvalidArgument,
        "store.transaction(fn): fn returned a Promise; a transaction is synchronous (its changes were undone). Await first, then run the transaction.",
      );
    }
    const recorder = new PatchRecorder();
    const steps = batch.steps;
    for (let i = mark; i < steps.length; i++) {
      const step = steps[i]!;
      recorder.change(step.state.type, step.id, step.prev, step.next);
    }
    this.#close();
    return { result, patches: recorder.patches, inversePatches: recorder.inverse(), batchId: batch.id };
  }

  /**
   * Applies JSON Patch operations (paths `/<type>/<id>[/<field>…]`) as one
   * batch, atomically: every operation is checked and every resulting entity
   * validated before anything is applied.
   */
  applyPatches(patches: readonly JsonPatchOperation[], options: ApplyPatchesOptions | undefined): void {
    const meta = checkBatchOptions(options, "store.applyPatches(patches, options)");
    const origin = options?.origin ?? "local";
    if (origin !== "local" && origin !== "remote") {
      throw new KalphiteError(StoreErrorCode.InvalidArgument, `store.applyPatches(patches, { origin }): origin must be "local" or "remote", not ${JSON.stringify(origin)}`);
    }
    const touched = applyPatchesTo(patches, (type, id) => this.existingState(type)?.get(id));
    const writes: { state: AnyState; id: EntityId; entity: BaseEntity | undefined }[] = [];
    for (const { type, id, value } of touched) {
      if (type === "") throw new KalphiteError(StoreErrorCode.InvalidArgument, `store.applyPatches: an entity path needs a non-empty type (entity "${id}")`);
      const existing = this.existingState(type);
      const current = existing?.get(id);
      if (value === current || (value !== undefined && current !== undefined && jsonEqual(value, current))) continue;
      if (value === undefined) {
        writes.push({ state: existing!, id, entity: undefined });
        continue;
      }
      const state = existing ?? this.state(type);
      writes.push({ state, id, entity: this.#prepare(state, id, value) });
    }
    if (writes.length === 0 && meta === undefined) return;
    this.#open(meta);
    for (const { state, id, entity } of writes) {
      if (entity !== undefined) this.#write(state, entity, origin);
      else this.#remove(state, id, origin);
    }
    this.#close();
  }

  subscribe(listener: ChangeListener<BaseEntity>): () => void {
    const off = addListener(this.#listeners, listener, "store.subscribe");
    // Inside a batch: the rest of it is recorded for the new listener.
    if (this.#batch !== undefined) this.#batch.recording = true;
    return off;
  }

  subscribeType(state: AnyState, listener: ChangeListener<BaseEntity>): () => void {
    const off = addListener(state.listeners, listener, `store.${state.type}.subscribe`);
    this.#keep(state);
    return () => {
      off();
      this.#release(state);
    };
  }

  /** Registers a live view's observer on a collection; returns the function that removes it. */
  observe(state: AnyState, observer: CollectionObserver<BaseEntity>): () => void {
    state.observers.add(observer);
    this.#keep(state);
    return () => {
      state.observers.delete(observer);
      this.#release(state);
    };
  }

  // ---- batches --------------------------------------------------------------

  /** Opens a batch, or joins the open one (merging `meta` into it). */
  #open(meta: BatchMeta | undefined): void {
    if (this.#depth++ === 0) {
      this.#batch = new OpenBatch(++this.#batchCount, meta === undefined ? undefined : { ...meta }, this.#sink !== undefined || this.#listeners.size > 0);
    } else if (meta !== undefined) {
      const batch = this.#batch!;
      batch.meta = { ...batch.meta, ...meta };
    }
  }

  /** Leaves a batch; the outermost one commits (and rolls back, then rethrows, when the sink refuses it). */
  #close(): void {
    if (--this.#depth > 0) return;
    const batch = this.#batch!;
    this.#batch = undefined;
    this.#commit(batch);
  }

  #commit(batch: OpenBatch): void {
    const steps = batch.steps;
    const sink = this.#sink;
    const globalListeners = this.#listeners.size > 0;
    let records: ChangeRecord<BaseEntity>[] | undefined;
    let changes: ChangeRecord<BaseEntity>[] | undefined;
    if (sink !== undefined || globalListeners) {
      records = [];
      for (const step of steps) {
        const record = recordOf(step);
        records.push(record);
        if (step.origin !== "load") (changes ??= []).push(record);
      }
    }
    if (sink !== undefined && (changes !== undefined || batch.meta !== undefined)) {
      try {
        this.#send(sink, { batchId: batch.id, changes: changes ?? [], meta: batch.meta }, steps);
      } catch (error) {
        this.#rollback(batch, 0);
        this.#settle();
        this.#releaseEmptied(batch);
        throw error;
      }
    }
    if (globalListeners) for (const record of records!) this.#pending.push(record);
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      const state = step.state;
      if (state.listeners.size === 0) continue;
      state.pending.push(records === undefined ? recordOf(step) : records[i]!);
      if (!state.touched) {
        state.touched = true;
        this.#touched.push(state);
      }
    }
    this.#settle();
    this.#releaseEmptied(batch);
  }

  /** Collections the batch emptied (or a rollback did) that hold nothing else are not kept any more. */
  #releaseEmptied(batch: OpenBatch): void {
    const emptied = batch.emptied;
    if (emptied !== undefined) for (const state of emptied) this.#release(state);
  }

  /** Hands a committed batch to the sink: whole with `scheduleBatch`, else change by change. */
  #send(sink: ChangeSink, batch: ChangeBatch<BaseEntity>, steps: readonly Step[]): void {
    if (typeof sink.scheduleBatch === "function") {
      sink.scheduleBatch(batch);
      return;
    }
    const sent: ChangeRecord<BaseEntity>[] = [];
    try {
      for (const change of batch.changes) {
        if (change.operation === "upsert") sink.scheduleFlush(change.entityId, change.entity!);
        else sink.scheduleDelete(change.entityId, change.entityType);
        sent.push(change);
      }
    } catch (error) {
      if (sent.length > 0) this.#compensate(sink, sent, steps);
      throw error;
    }
  }

  /**
   * A per-change sink refused part of a batch that is being rolled back: asks
   * it (best effort) to store again what each accepted entity was before the
   * batch, so durable state agrees with memory once more.
   */
  #compensate(sink: ChangeSink, sent: readonly ChangeRecord<BaseEntity>[], steps: readonly Step[]): void {
    const before = new Map<string, { type: string; id: EntityId; entity: BaseEntity | undefined }>();
    for (const step of steps) {
      const key = `${step.state.type}\u0000${step.id}`;
      if (!before.has(key)) before.set(key, { type: step.state.type, id: step.id, entity: step.prev });
    }
    const done = new Set<string>();
    for (const change of sent) {
      const key = `${change.entityType}\u0000${change.entityId}`;
      if (done.has(key)) continue;
      done.add(key);
      const was = before.get(key)!;
      try {
        if (was.entity !== undefined) sink.scheduleFlush(was.id, was.entity);
        else sink.scheduleDelete(was.id, was.type);
      } catch {
        // The sink refuses everything now (a full queue, a destroyed engine); the error rethrown says so.
      }
    }
  }

  /** Undoes `steps[mark…]`, newest first: collections and live views as they were; no listener hears of it. */
  #rollback(batch: OpenBatch, mark: number): void {
    const steps = batch.steps;
    for (let i = steps.length - 1; i >= mark; i--) {
      const { state, id, next, prev, seq } = steps[i]!;
      if (next === undefined) {
        if (!state.kept) this.#keep(state);
        state.restore(prev!, seq);
        this.#observe(state, "upsert", id, prev, undefined, seq);
      } else if (prev === undefined) {
        state.remove(id);
        this.#observe(state, "delete", id, undefined, next, seq);
        if (state.size === 0) batch.emptiedState(state);
      } else {
        state.put(prev);
        this.#observe(state, "upsert", id, prev, next, seq);
      }
    }
    steps.length = mark;
  }

  // ---- internals ----------------------------------------------------------

  #write(state: AnyState, entity: BaseEntity, origin: ChangeOrigin): void {
    if (!state.kept) this.#keep(state);
    const prev = state.put(entity);
    const seq = state.lastSeq;
    const batch = this.#batch!;
    if (batch.recording) batch.steps.push({ state, id: entity.id, next: entity, prev, seq, origin });
    else if (state.listeners.size > 0) this.#hear(state, { operation: "upsert", entityType: state.type, entityId: entity.id, entity, origin });
    if (state.observers.size > 0) this.#observe(state, "upsert", entity.id, entity, prev, seq);
  }

  #remove(state: AnyState, id: EntityId, origin: ChangeOrigin): void {
    const entry = state.remove(id)!;
    const batch = this.#batch!;
    if (batch.recording) batch.steps.push({ state, id, next: undefined, prev: entry.entity, seq: entry.seq, origin });
    else if (state.listeners.size > 0) this.#hear(state, { operation: "delete", entityType: state.type, entityId: id, entity: entry.entity, origin });
    if (state.size === 0) batch.emptiedState(state);
    if (state.observers.size > 0) this.#observe(state, "delete", id, undefined, entry.entity, entry.seq);
  }

  #removeMany(state: AnyState, ids: ReadonlySet<EntityId>, origin: ChangeOrigin): void {
    if (ids.size === 1) {
      for (const id of ids) this.#remove(state, id, origin);
      return;
    }
    const batch = this.#batch!;
    const steps = batch.steps;
    const recorded = batch.recording;
    const heard = !recorded && state.listeners.size > 0;
    const observed = state.observers.size > 0;
    for (const entry of state.removeMany(ids)) {
      const id = entry.entity.id;
      if (recorded) steps.push({ state, id, next: undefined, prev: entry.entity, seq: entry.seq, origin });
      else if (heard) this.#hear(state, { operation: "delete", entityType: state.type, entityId: id, entity: entry.entity, origin });
      if (observed) this.#observe(state, "delete", id, undefined, entry.entity, entry.seq);
    }
    if (state.size === 0) this.#batch!.emptiedState(state);
  }

  /**
   * A change of a batch that cannot roll back (no sink, no transaction) goes
   * straight to the collection's listeners' pending records: no step to keep.
   */
  #hear(state: AnyState, record: ChangeRecord<BaseEntity>): void {
    state.pending.push(record);
    if (!state.touched) {
      state.touched = true;
      this.#touched.push(state);
    }
  }

  /** Tells the collection's observers (live views) of a change, and marks the collection for delivery. */
  #observe(state: AnyState, operation: ChangeOperation, id: EntityId, next: BaseEntity | undefined, prev: BaseEntity | undefined, seq: number): void {
    for (const observer of state.observers) {
      try {
        observer.change(operation, id, next, prev, seq);
      } catch (error) {
        this.#report(error, state.type);
      }
    }
    if (!state.touched) {
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
          // Collections touched while these deliver go to the spare list (reused: no allocation per batch).
          this.#touched = this.#spareTouched !== touched ? this.#spareTouched : [];
          for (const state of touched) this.#deliverType(state);
          while (touched.length > 0) touched.pop(); // (cheaper than the length setter for a few items)
          this.#spareTouched = touched;
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
