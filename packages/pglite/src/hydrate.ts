import type { BaseEntity } from "@kalphite/store";
import type { EntityOperations } from "./entity-methods";

/** What `hydrate` loads into: a `KalphiteStore` (anything with `loadEntities`). */
export interface HydrationTarget<TEntity extends BaseEntity = BaseEntity> {
  loadEntities(entities: Iterable<TEntity>): void;
}

/**
 * Loads every entity of the database into the store: one `getAll()` (one
 * SELECT, insertion order) and one `store.loadEntities(...)` — one batch, one
 * notification, origin `"load"`, so nothing is flushed back. The store
 * validates the entities with its own schema. Resolves to how many entities
 * were loaded.
 *
 * @example
 * const store = KalphiteStore(schema, { sink: engine });
 * await hydrate(store, db);
 */
export async function hydrate<TEntity extends BaseEntity>(store: HydrationTarget<TEntity>, db: Pick<EntityOperations, "getAll">): Promise<number> {
  const entities = await db.getAll<TEntity>();
  store.loadEntities(entities);
  return entities.length;
}
