import type { PGliteInterface } from "@electric-sql/pglite";
import type { PersistedTransaction } from "../codec";
import { TransactionsError, TransactionsErrorCode } from "../errors";
import type { TransactionStorage } from "./types";

/** Options of {@link createPGliteStorage}: an open database, or where to open one. */
export type PGliteStorageOptions =
  | {
      /** A PGlite instance the caller owns (not closed by `close()`). */
      db: PGliteInterface;
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
 * `(collection_id, id) → record jsonb`, created if missing. `save` writes all
 * records in one statement (`INSERT … SELECT FROM jsonb_array_elements`), so
 * a batch is stored all or nothing.
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
        if ("db" in options) instance = options.db;
        else {
          const { PGlite } = await import("@electric-sql/pglite");
          instance = await PGlite.create(options.dataDir);
        }
        await instance.exec(
          `CREATE TABLE IF NOT EXISTS ${table} (
             collection_id text NOT NULL,
             id text NOT NULL,
             record jsonb NOT NULL,
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
      const result = await (await db()).query<{ record: PersistedTransaction }>(
        `SELECT record FROM ${table} WHERE collection_id = $1`,
        [collectionId],
      );
      return result.rows.map((row) => (typeof row.record === "string" ? JSON.parse(row.record) : row.record));
    },
    async save(records) {
      if (records.length === 0) return;
      await (await db()).query(
        `INSERT INTO ${table} (collection_id, id, record)
         SELECT r->>'collectionId', r->>'id', r FROM jsonb_array_elements($1::jsonb) AS r
         ON CONFLICT (collection_id, id) DO UPDATE SET record = EXCLUDED.record`,
        [JSON.stringify(records)],
      );
    },
    async remove(collectionId, ids) {
      if (ids.length === 0) return;
      await (await db()).query(`DELETE FROM ${table} WHERE collection_id = $1 AND id = ANY($2::text[])`, [collectionId, [...ids]]);
    },
    async close() {
      const pending = ready;
      ready = undefined;
      if (owned && pending !== undefined) await (await pending.catch(() => undefined))?.close();
    },
  };
}
