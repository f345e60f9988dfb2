import type { PGliteInterface } from "@electric-sql/pglite";
import type { PGliteHandle } from "@kalphite/pglite";
import type { PersistedTransaction } from "../codec";
import { TransactionsError, TransactionsErrorCode } from "../errors";
import type { TransactionStorage } from "./types";

/** Keys are stored JSON-encoded: `text` cannot hold `\u0000` or lone surrogates, an id may. */
const key = (value: string): string => JSON.stringify(value);

/** Options of {@link createPGliteStorage}: an open database, or where to open one. */
export type PGliteStorageOptions =
  | {
      /**
       * A PGlite instance the caller owns (not closed by `close()`). Typed by
       * its SQL surface so these declarations never load PGlite's own.
       */
      db: PGliteHandle;
      /** Table name (letters, digits, `_`). @default "kalphite_transactions" */
      table?: string;
    }
  | {
      /** A PGlite data directory (`memory://` for none); opened on first use, closed by `close()`. */
      dataDir: string;
      /** @default "kalphite_transactions" */
      table?: string;
    };

/**
 * A {@link TransactionStorage} in PGlite, for Node applications: one table
 * `(collection_id, id) → record`, created if missing. `save` writes all
 * records in one statement (`INSERT … SELECT FROM unnest(…)`), so a batch is
 * stored all or nothing. The record is JSON kept as `text`, not `jsonb`:
 * `jsonb` refuses `\u0000` and lone surrogates, which item data may hold.
 */
export function createPGliteStorage(options: PGliteStorageOptions): TransactionStorage {
  const table = options.table ?? "kalphite_transactions";
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) {
    throw new TransactionsError(TransactionsErrorCode.InvalidConfig, `createPGliteStorage: table name ${JSON.stringify(table)} is not a plain SQL identifier`);
  }
  if (!("db" in options) && typeof (options as { dataDir?: unknown }).dataDir !== "string") {
    throw new TransactionsError(TransactionsErrorCode.InvalidConfig, "createPGliteStorage needs { db } or { dataDir }");
  }
  const owned = !("db" in options);
  let ready: Promise<PGliteInterface> | undefined;
  const db = (): Promise<PGliteInterface> => {
    ready ??= (async () => {
      try {
        let instance: PGliteInterface;
        if ("db" in options) instance = options.db as PGliteInterface;
        else {
          const { PGlite } = await import("@electric-sql/pglite");
          instance = await PGlite.create(options.dataDir);
        }
        await instance.exec(
          `CREATE TABLE IF NOT EXISTS ${table} (
             collection_id text NOT NULL,
             id text NOT NULL,
             record text NOT NULL,
             PRIMARY KEY (collection_id, id)
           )`,
        );
        return instance;
      } catch (error) {
        throw new TransactionsError(TransactionsErrorCode.StorageFailed, `Could not set up PGlite table ${table}`, { cause: error });
      }
    })();
    ready.catch(() => {
      ready = undefined;
    });
    return ready;
  };
  return {
    async load(collectionId) {
      const result = await (await db()).query<{ record: string }>(`SELECT record FROM ${table} WHERE collection_id = $1`, [key(collectionId)]);
      return result.rows.map((row) => JSON.parse(row.record) as PersistedTransaction);
    },
    async save(records) {
      if (records.length === 0) return;
      await (await db()).query(
        `INSERT INTO ${table} (collection_id, id, record)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
         ON CONFLICT (collection_id, id) DO UPDATE SET record = EXCLUDED.record`,
        [records.map((r) => key(r.collectionId)), records.map((r) => key(r.id)), records.map((r) => JSON.stringify(r))],
      );
    },
    async remove(collectionId, ids) {
      if (ids.length === 0) return;
      await (await db()).query(`DELETE FROM ${table} WHERE collection_id = $1 AND id = ANY($2::text[])`, [key(collectionId), ids.map(key)]);
    },
    async close() {
      const pending = ready;
      ready = undefined;
      if (owned && pending !== undefined) await (await pending.catch(() => undefined))?.close();
    },
  };
}
