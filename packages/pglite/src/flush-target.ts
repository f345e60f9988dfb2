import type { FlushTarget } from "@kalphite/flush";
import type { EntityOperations } from "./entity-methods";

/**
 * The `FlushTarget` of a database, for `new MemoryFlushEngine({ flushTarget })`:
 * each call is applied by `db.applyChanges(changes, context)` in one SQL
 * statement — one transaction, all or nothing — with the upserts sent as one
 * JSON array (`INSERT … SELECT … FROM jsonb_array_elements($1) ON CONFLICT
 * (type, id) DO UPDATE`), the deletes as another, and `context.meta` upserted
 * into `kalphite_meta` in the same statement, never a statement per row.
 * Within a call the last change of a `(type, id)` wins. A rejected call
 * changed nothing: a `NonRetriableError` says it never will (the engine
 * dead-letters the changes it names, or isolates them by splitting); any other
 * rejection is temporary and the engine retries the call as is. Same as
 * `db.asFlushTarget()`.
 *
 * @example
 * const engine = new MemoryFlushEngine({ flushTarget: createFlushTarget(db) });
 * const store = KalphiteStore(schema, { sink: engine });
 */
export function createFlushTarget(db: Pick<EntityOperations, "applyChanges">): FlushTarget {
  return (changes, context) => db.applyChanges(changes, context);
}
