import type { ValidationError } from "./errors";

/** The id of an entity, unique within its type. */
export type EntityId = string;

/**
 * The least an entity is: a string `id` and a string `type`. `type` selects
 * the collection (`store.todo` holds the entities whose `type` is `"todo"`);
 * identity is `(type, id)`.
 */
export interface BaseEntity {
  readonly id: EntityId;
  readonly type: string;
}

/** An entity of any type, as stored and synced: `{ id, type, updatedAt?, …fields }`. */
export interface Entity extends BaseEntity {
  /** Milliseconds since the epoch of the last change, when the application keeps one. */
  readonly updatedAt?: number;
  readonly [field: string]: unknown;
}

/** Where a change came from: this process's user, a server, or local storage at start-up. */
export type ChangeOrigin = "local" | "remote" | "load";

/** What a change did. */
export type ChangeOperation = "upsert" | "delete";

/**
 * One change, the record every layer uses. `entity` is the new state for an
 * upsert and the removed entity for a delete (when it was known).
 */
export interface ChangeRecord<TEntity extends BaseEntity = Entity> {
  readonly operation: ChangeOperation;
  readonly entityType: TEntity["type"];
  readonly entityId: EntityId;
  readonly entity?: TEntity | undefined;
  readonly origin: ChangeOrigin;
}

/** A change coming from a server, for `store.applyRemote`: a `ChangeRecord` without `origin`. */
export interface RemoteChange<TEntity extends BaseEntity = Entity> {
  readonly operation: ChangeOperation;
  readonly entityType: TEntity["type"];
  readonly entityId: EntityId;
  /** Required for an upsert; ignored for a delete. */
  readonly entity?: TEntity | undefined;
}

/** Receives the changes of one store batch (a single mutation is a batch of one). */
export type ChangeListener<TEntity extends BaseEntity = Entity> = (changes: readonly ChangeRecord<TEntity>[]) => void;

/**
 * JSON-compatible metadata that travels with a change batch down to durable
 * storage (for example a sync cursor), written in the same storage
 * transaction as the batch's changes.
 */
export type BatchMeta = Readonly<Record<string, unknown>>;

/**
 * The changes of one store batch (`store.batch`, `store.transaction`, one
 * bulk call such as `upsertMany`/`applyRemote`/`clear`, or a single write),
 * in the order they were made. A batch travels whole through the sink, the
 * flush engine and the target: it is never split, never half-durable.
 */
export interface ChangeBatch<TEntity extends BaseEntity = Entity> {
  /** Unique per batch within this process (monotonic, e.g. `"b1"`, `"b2"`…). */
  readonly batchId: string;
  /** Every change of the batch, in order; each keeps its own `origin`. */
  readonly changes: readonly ChangeRecord<TEntity>[];
  /** Metadata given with the batch (`store.batch(fn, { meta })`, `applyRemote(changes, { meta })`…). */
  readonly meta?: BatchMeta | undefined;
}

/**
 * Where the store sends changes to make them durable. The store calls it
 * synchronously, for local and remote changes (never for loads); the
 * implementation schedules the work (`MemoryFlushEngine` in `@kalphite/flush`).
 *
 * A sink with `scheduleBatch` gets every store batch in one call, before the
 * store publishes it to listeners; when that call throws (a full queue, a
 * destroyed engine), the store rolls the whole batch back and rethrows: the
 * store is unchanged, nobody is notified. A sink without `scheduleBatch` gets
 * the per-change `scheduleFlush`/`scheduleDelete` calls.
 */
export interface ChangeSink {
  /** `entity` is the new state of `(entity.type, entityId)`. */
  scheduleFlush(entityId: EntityId, entity: BaseEntity): void;
  scheduleDelete(entityId: EntityId, entityType: string): void;
  /** All the local and remote changes of one store batch (loads excluded), all or nothing. */
  scheduleBatch?(batch: ChangeBatch<BaseEntity>): void;
}

/** Options of the store's writes that start a batch (`store.batch`, `applyRemote`, …). */
export interface BatchOptions {
  /** Metadata handed to the sink with the batch (nested batches merge theirs into the outer one's). */
  readonly meta?: BatchMeta | undefined;
}

/** An entity that `loadEntities(…, { onInvalid: "skip" })` left out, with why. */
export interface InvalidEntity {
  /** Its `type`, when it had a string one. */
  readonly entityType?: string | undefined;
  /** Its `id`, when it had a string one. */
  readonly entityId?: string | undefined;
  /** The input as given. */
  readonly entity: unknown;
  /** What is wrong with it. */
  readonly error: ValidationError;
}

/** What `store.loadEntities` did. */
export interface LoadResult {
  /** How many entities were loaded into the store. */
  readonly loaded: number;
  /** The inputs that did not validate (always empty with `onInvalid: "throw"`). */
  readonly invalid: readonly InvalidEntity[];
}

/** Options of `store.loadEntities`. */
export interface LoadOptions {
  /**
   * What an entity that fails validation does: `"throw"` refuses the whole
   * load (nothing is applied), `"skip"` loads the others and reports it in
   * `LoadResult.invalid`.
   * @default "throw"
   */
  readonly onInvalid?: "throw" | "skip" | undefined;
}

/** Called when a listener throws; the store itself stays consistent and other listeners still run. */
export type ListenerErrorHandler = (error: unknown, context: { readonly entityType?: string | undefined }) => void;
