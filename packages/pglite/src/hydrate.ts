import type { BaseEntity, InvalidEntity, LoadOptions, LoadResult } from "@kalphite/store";
import type { EntityOperations } from "./entity-methods";
import { DatabaseError, DatabaseErrorCode } from "./errors";

/** What `hydrate` loads into: a `KalphiteStore` (anything with `loadEntities`). */
export interface HydrationTarget<TEntity extends BaseEntity = BaseEntity> {
  loadEntities(entities: Iterable<TEntity>, options?: LoadOptions): LoadResult;
}

/** Options of `hydrate`. */
export interface HydrateOptions {
  /**
   * What a stored row that no longer passes the store's schema does (the
   * schema evolved, the row was written by hand…): `"skip"` leaves it out of
   * the store, reports it in `HydrateResult.invalid` and keeps it in the
   * database untouched (the quarantine: it is never deleted or rewritten by
   * hydration); `"throw"` refuses the whole load with the `ValidationError`,
   * loading nothing.
   * @default "skip"
   */
  readonly onInvalid?: "skip" | "throw" | undefined;
}

/**
 * What `hydrate` did: how many entities the store holds now, and the
 * quarantined rows — each with its `entityType`, `entityId`, the stored
 * `entity` and the `error` (a `ValidationError` naming the failing paths).
 * They stay in the database.
 */
export interface HydrateResult {
  readonly loaded: number;
  readonly invalid: readonly InvalidEntity[];
}

/**
 * Loads every entity of the database into the store: one `getAll()` (one
 * SELECT, insertion order) and one `store.loadEntities(...)` — one batch, one
 * notification, origin `"load"`, so nothing is flushed back. The store
 * validates the entities with its own schema; rows that fail it are skipped
 * and reported (see `HydrateOptions.onInvalid`), so one row an evolved schema
 * refuses does not keep the app from starting.
 *
 * @example
 * const store = KalphiteStore(schema, { sink: engine });
 * const { loaded, invalid } = await hydrate(store, db);
 * for (const row of invalid) console.warn(`quarantined ${row.entityType} ${row.entityId}: ${row.error.message}`);
 */
export async function hydrate<TEntity extends BaseEntity>(store: HydrationTarget<TEntity>, db: Pick<EntityOperations, "getAll">, options: HydrateOptions = {}): Promise<HydrateResult> {
  const onInvalid = options.onInvalid ?? "skip";
  if (onInvalid !== "skip" && onInvalid !== "throw") {
    throw new DatabaseError(DatabaseErrorCode.InvalidArgument, `hydrate(store, db, { onInvalid }): onInvalid must be "skip" or "throw", got ${JSON.stringify(onInvalid)}`);
  }
  const entities = await db.getAll<TEntity>();
  const { loaded, invalid } = store.loadEntities(entities, { onInvalid });
  return { loaded, invalid };
}
