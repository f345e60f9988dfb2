import { PGlite } from "@electric-sql/pglite";
import type { PGliteHandle } from "@kalphite/pglite";
import type { PendingOperation } from "../types";
import type { OperationStorage } from "./operation-storage";

/** Options of `createPGliteOperationStorage`. */
export interface PGliteOperationStorageOptions {
  /** Directory of the database; in memory when absent. @default undefined (memory) */
  dataDir?: string;
  /** Use this PGlite (e.g. the app's `FrontendDatabase` one); it is not closed by `close()`. */
  db?: PGliteHandle;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kalphite_client_operations (
  client_id text NOT NULL, id bigint NOT NULL, name text NOT NULL, args jsonb NOT NULL, timestamp double precision NOT NULL,
  PRIMARY KEY (client_id, id));
CREATE TABLE IF NOT EXISTS kalphite_client_meta (
  client_id text NOT NULL, key text NOT NULL, value text NOT NULL, PRIMARY KEY (client_id, key));
`;

const LAST_ID = "kalphite:lastOperationId";

/**
 * An `OperationStorage` in PGlite: pending operations and the sync cursor
 * survive a process restart when `dataDir` is given.
 */
export async function createPGliteOperationStorage(options: PGliteOperationStorageOptions = {}): Promise<OperationStorage> {
  const owned = options.db === undefined;
  const db = (options.db as PGlite | undefined) ?? (options.dataDir === undefined ? new PGlite() : new PGlite(options.dataDir));
  await db.waitReady;
  await db.exec(SCHEMA);
  type Tx = Pick<PGlite, "query">;
  const setLast = (tx: Tx, clientId: string, last: number, onlyUp: boolean) =>
    tx.query(
      `INSERT INTO kalphite_client_meta (client_id, key, value) VALUES ($1, $2, $3)
       ON CONFLICT (client_id, key) DO UPDATE SET value = ${onlyUp ? "GREATEST(kalphite_client_meta.value::bigint, EXCLUDED.value::bigint)::text" : "EXCLUDED.value"}`,
      [clientId, LAST_ID, String(last)],
    );
  const insert = (tx: Tx, clientId: string, operations: readonly PendingOperation[]) =>
    tx.query(
      `INSERT INTO kalphite_client_operations (client_id, id, name, args, timestamp)
       SELECT $1, x.id, x.name, x.args, x.timestamp FROM jsonb_to_recordset($2::jsonb) AS x(id bigint, name text, args jsonb, timestamp double precision)
       ON CONFLICT (client_id, id) DO UPDATE SET name = EXCLUDED.name, args = EXCLUDED.args, timestamp = EXCLUDED.timestamp`,
      [clientId, JSON.stringify(operations.map(({ id, name, args, timestamp }) => ({ id, name, args, timestamp })))],
    );
  return {
    async load(clientId) {
      return db.transaction(async (tx) => {
        const ops = await tx.query<{ id: number | string; name: string; args: unknown[]; timestamp: number }>(
          `SELECT id, name, args, timestamp FROM kalphite_client_operations WHERE client_id = $1 ORDER BY id`,
          [clientId],
        );
        const meta = await tx.query<{ key: string; value: string }>(`SELECT key, value FROM kalphite_client_meta WHERE client_id = $1`, [clientId]);
        const values: Record<string, string> = {};
        let lastOperationId = 0;
        for (const row of meta.rows) {
          if (row.key === LAST_ID) lastOperationId = Number(row.value);
          else values[row.key] = row.value;
        }
        const operations = ops.rows.map((row) => ({ name: row.name, args: row.args, id: Number(row.id), clientId, timestamp: Number(row.timestamp) }));
        for (const op of operations) lastOperationId = Math.max(lastOperationId, op.id);
        return { operations, lastOperationId, values };
      });
    },
    async append(clientId, operations) {
      if (operations.length === 0) return;
      await db.transaction(async (tx) => {
        await insert(tx, clientId, operations);
        await setLast(tx, clientId, Math.max(...operations.map((op) => op.id)), true);
      });
    },
    async remove(clientId, operationIds) {
      if (operationIds.length === 0) return;
      await db.query(`DELETE FROM kalphite_client_operations WHERE client_id = $1 AND id = ANY($2::bigint[])`, [clientId, [...operationIds]]);
    },
    async replace(clientId, operations, lastOperationId) {
      await db.transaction(async (tx) => {
        await tx.query(`DELETE FROM kalphite_client_operations WHERE client_id = $1`, [clientId]);
        if (operations.length > 0) await insert(tx, clientId, operations);
        await setLast(tx, clientId, lastOperationId, false);
      });
    },
    async setValue(clientId, key, value) {
      await db.query(
        `INSERT INTO kalphite_client_meta (client_id, key, value) VALUES ($1, $2, $3) ON CONFLICT (client_id, key) DO UPDATE SET value = EXCLUDED.value`,
        [clientId, key, value],
      );
    },
    async close() {
      if (owned && !db.closed) await db.close();
    },
  };
}
