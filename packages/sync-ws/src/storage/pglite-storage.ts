import { FrontendDatabase } from "@kalphite/pglite";
import { SyncError, SyncErrorCode, describeError } from "../errors";
import type { ChangeMessage } from "../types";
import type { EntityVersion } from "../version";
import type { PersistedSyncState, SyncStateStorage, SyncStateWrite } from "./state-storage";

// Keys are stored JSON-encoded and values as JSON text, not jsonb: PostgreSQL text cannot hold
// U+0000, which JSON strings may contain; JSON.stringify escapes it (and lone surrogates) to ASCII.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS kalphite_sync_client_meta (
  scope text NOT NULL, key text NOT NULL, value text NOT NULL, PRIMARY KEY (scope, key));
CREATE TABLE IF NOT EXISTS kalphite_sync_client_versions (
  scope text NOT NULL, entity_key text NOT NULL, version text NOT NULL, PRIMARY KEY (scope, entity_key));
CREATE TABLE IF NOT EXISTS kalphite_sync_client_queue (
  scope text NOT NULL, message_id text NOT NULL, position bigserial, message text NOT NULL,
  PRIMARY KEY (scope, message_id));
`;

const key = (value: string) => JSON.stringify(value);

/** The part of a PGlite instance the storage uses (a `PGlite`, or a transaction-capable twin). */
export interface PGliteLike {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  exec(sql: string): Promise<unknown>;
  transaction<T>(fn: (tx: { query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[] }> }) => Promise<T>): Promise<T>;
}

/**
 * A `SyncStateStorage` in PGlite: a `FrontendDatabase` from
 * `@kalphite/pglite` (layer 3; `init()`ed on first use if it is not yet) or
 * a `PGlite` instance. The queue, the clocks, the cursor and the clientId
 * survive a restart when the database is on disk (or in IndexedDB). It adds
 * three tables (`kalphite_sync_client_*`) on first use and may share the
 * database the store is flushed to. Closing the database is the caller's job.
 *
 * @example
 * const db = new FrontendDatabase({ dbName: "./data/app" });
 * const engine = new NetworkSyncEngine({ wsUrl, roomId, userId, storage: createPGliteSyncStorage(db) });
 */
export function createPGliteSyncStorage(database: FrontendDatabase | PGliteLike): SyncStateStorage {
  let ready: Promise<void> | undefined;
  const isDatabase = database instanceof FrontendDatabase;
  const name = isDatabase ? database.dbName : "PGlite";
  const pg = (): PGliteLike => (isDatabase ? (database.pglite as unknown as PGliteLike) : database);
  const prepare = () => {
    ready ??= (async () => {
      if (isDatabase && (database.state === "created" || database.state === "opening")) await database.init();
      await pg().exec(SCHEMA);
    })().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };
  const fail = (what: string, error: unknown) =>
    new SyncError(SyncErrorCode.StorageFailed, `PGlite sync storage (${name}): ${what} failed: ${describeError(error)}`, { cause: error });

  return {
    async load(name): Promise<PersistedSyncState> {
      const scope = key(name);
      try {
        await prepare();
        const meta = await pg().query<{ key: string; value: string }>("SELECT key, value FROM kalphite_sync_client_meta WHERE scope = $1", [scope]);
        const versions = await pg().query<{ version: string }>("SELECT version FROM kalphite_sync_client_versions WHERE scope = $1", [scope]);
        const queue = await pg().query<{ message: string }>("SELECT message FROM kalphite_sync_client_queue WHERE scope = $1 ORDER BY position", [scope]);
        const values = new Map(meta.rows.map((row) => [row.key, JSON.parse(row.value) as unknown]));
        const clientId = values.get("clientId");
        const cursor = values.get("cursor");
        const epoch = values.get("epoch");
        return {
          clientId: typeof clientId === "string" ? clientId : undefined,
          cursor: typeof cursor === "number" ? cursor : 0,
          epoch: typeof epoch === "string" ? epoch : undefined,
          versions: versions.rows.map((row) => JSON.parse(row.version) as EntityVersion),
          queue: queue.rows.map((row) => JSON.parse(row.message) as ChangeMessage),
        };
      } catch (error) {
        throw fail("load", error);
      }
    },
    async write(name, write: SyncStateWrite): Promise<void> {
      const scope = key(name);
      try {
        await prepare();
        await pg().transaction(async (tx) => {
          const meta: [string, unknown][] = [];
          if (write.clientId !== undefined) meta.push(["clientId", write.clientId]);
          if (write.cursor !== undefined) meta.push(["cursor", write.cursor]);
          if (write.epoch !== undefined) meta.push(["epoch", write.epoch]);
          for (const [name, value] of meta) {
            await tx.query(
              "INSERT INTO kalphite_sync_client_meta (scope, key, value) VALUES ($1, $2, $3) ON CONFLICT (scope, key) DO UPDATE SET value = EXCLUDED.value",
              [scope, name, JSON.stringify(value)],
            );
          }
          if (write.versions !== undefined && write.versions.length > 0) {
            // The last write of an entity in the batch wins (ON CONFLICT cannot touch a row twice).
            const last = new Map<string, EntityVersion>();
            for (const v of write.versions) last.set(key(`${v.entityType}\u0000${v.entityId}`), v);
            const rows = [...last.entries()].map(([k, v]) => ({ k, v: JSON.stringify(v) }));
            await tx.query(
              `INSERT INTO kalphite_sync_client_versions (scope, entity_key, version)
               SELECT $1, r.k, r.v FROM jsonb_to_recordset($2::jsonb) AS r(k text, v text)
               ON CONFLICT (scope, entity_key) DO UPDATE SET version = EXCLUDED.version`,
              [scope, JSON.stringify(rows)],
            );
          }
          if (write.dequeue !== undefined && write.dequeue.length > 0) {
            await tx.query("DELETE FROM kalphite_sync_client_queue WHERE scope = $1 AND message_id = ANY($2::text[])", [scope, write.dequeue.map(key)]);
          }
          for (const message of write.enqueue ?? []) {
            await tx.query(
              "INSERT INTO kalphite_sync_client_queue (scope, message_id, message) VALUES ($1, $2, $3) ON CONFLICT (scope, message_id) DO UPDATE SET message = EXCLUDED.message",
              [scope, key(message.messageId), JSON.stringify(message)],
            );
          }
        });
      } catch (error) {
        throw fail("write", error);
      }
    },
  };
}
