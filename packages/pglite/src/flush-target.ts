import type { FlushTarget } from "@kalphite/flush";
import type { EntityOperations } from "./entity-methods";

/**
 * The `FlushTarget` of a database, for `new MemoryFlushEngine({ flushTarget })`:
 * each batch is applied by `db.applyChanges` in one SQL statement — one
 * transaction, all or nothing — with the upserts sent as one JSON array
 * (`INSERT … SELECT … FROM jsonb_array_elements($1) ON CONFLICT (type, id) DO
 * UPDATE`) and the deletes as another, never a statement per row. Within a
 * batch the last change of a `(type, id)` wins. A rejected batch changed
 * nothing, so the engine can retry it as is. Same as `db.asFlushTarget()`.
 *
 * @example
 * const engine = new MemoryFlushEngine({ flushTarget: createFlushTarget(db) });
 * const store = KalphiteStore(schema, { sink: engine });
 */
export function createFlushTarget(db: Pick<EntityOperations, "applyChanges">): FlushTarget {
  return (changes, context) => db.applyChanges(changes, context);
}
