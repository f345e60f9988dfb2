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
 * Where the store sends changes to make them durable. The store calls it
 * synchronously, for local and remote changes (never for loads); the
 * implementation schedules the work (`MemoryFlushEngine` in `@kalphite/flush`).
 */
export interface ChangeSink {
  /** `entity` is the new state of `(entity.type, entityId)`. */
  scheduleFlush(entityId: EntityId, entity: BaseEntity): void;
  scheduleDelete(entityId: EntityId, entityType: string): void;
}

/** Called when a listener throws; the store itself stays consistent and other listeners still run. */
export type ListenerErrorHandler = (error: unknown, context: { readonly entityType?: string | undefined }) => void;
