import type { PGlite } from "@electric-sql/pglite";
import type { EntitySchema } from "@kalphite/store";
import { EntityMethods, type EntityHost, type EntityOperations } from "./entity-methods";
import { DatabaseError, DatabaseErrorCode, toDatabaseError } from "./errors";
import type { StorageQuota } from "./storage-quota";

/**
 * The handle `db.transaction(fn)` passes to `fn`: the same reads and writes
 * as the database, all inside one SQL transaction. It throws
 * `TRANSACTION_CLOSED` once the scope has ended.
 */
export interface DatabaseTransaction extends EntityOperations {
  /** Whether the scope has ended (committed or rolled back). */
  readonly closed: boolean;
}

class TransactionHandle extends EntityMethods implements DatabaseTransaction {
  readonly #isClosed: () => boolean;

  constructor(host: EntityHost, isClosed: () => boolean) {
    super(host);
    this.#isClosed = isClosed;
  }

  get closed(): boolean {
    return this.#isClosed();
  }
}

/**
 * Runs `fn` in one PGlite transaction: commit when it resolves, roll back when
 * it throws (its error is rethrown unchanged). Quota growth inside the scope
 * counts against the limit at once and is kept only if the transaction commits.
 */
export async function runTransaction<T>(
  pg: PGlite,
  schema: EntitySchema | undefined,
  quota: StorageQuota,
  fn: (tx: DatabaseTransaction) => Promise<T> | T,
): Promise<T> {
  let closed = false;
  let growth = 0;
  let thrownByFn: { error: unknown } | undefined;
  try {
    const result = await pg.transaction(async (tx) => {
      const assertOpen = (what: string) => {
        if (closed) throw new DatabaseError(DatabaseErrorCode.TransactionClosed, `tx.${what}() called after its transaction(fn) scope ended; use the database (or a new transaction) instead`);
      };
      const host: EntityHost = {
        schema,
        measure: quota.enabled,
        async read(what, run) {
          assertOpen(what);
          try {
            return await run(tx);
          } catch (error) {
            throw toDatabaseError(error, `tx.${what}`);
          }
        },
        async write(what, plan) {
          assertOpen(what);
          const { grows, run } = plan();
          const allowedGrowth = grows ? quota.allowedGrowth(growth) : undefined;
          // A write refused by the quota check fails its statement; the savepoint keeps the
          // transaction usable afterwards, as a refusal before any SQL would.
          if (allowedGrowth !== undefined) await tx.exec("SAVEPOINT kalphite_write");
          try {
            const outcome = await run(tx, { measure: quota.enabled, allowedGrowth });
            if (allowedGrowth !== undefined) await tx.exec("RELEASE SAVEPOINT kalphite_write");
            growth += outcome.sizeDelta;
            return outcome;
          } catch (error) {
            const refusal = quota.refusal(error, growth);
            if (refusal !== undefined) {
              await tx.exec("ROLLBACK TO SAVEPOINT kalphite_write");
              await tx.exec("RELEASE SAVEPOINT kalphite_write");
              throw refusal;
            }
            throw toDatabaseError(error, `tx.${what}`);
          }
        },
      };
      try {
        return await fn(new TransactionHandle(host, () => closed));
      } catch (error) {
        thrownByFn = { error };
        throw error;
      } finally {
        closed = true;
      }
    });
    quota.add(growth);
    return result;
  } catch (error) {
    if (thrownByFn !== undefined && error === thrownByFn.error) throw error;
    throw toDatabaseError(error, "transaction");
  }
}
