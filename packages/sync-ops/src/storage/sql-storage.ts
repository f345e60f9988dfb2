import type { Entity } from "@kalphite/store";
import { TypedEmitter } from "@kalphite/flush";
import { SyncOpsError, SyncOpsErrorCode } from "../errors";
import type { DeletedEntity, FailedOperation } from "../types";
import type {
  StateQuery,
  StateSnapshot,
  StorageChangeEvent,
  StorageChanges,
  SyncStorage,
  SyncStorageTransaction,
} from "./types";

/** The least a SQL connection must do: parameterized queries returning rows. */
export interface SqlRunner {
  query<TRow>(sql: string, params?: unknown[]): Promise<{ rows: TRow[] }>;
}

/** What a backend supplies to `SqlSyncStorage`. */
export interface SqlDriver {
  readonly kind: string;
  /** Runs `fn` in a transaction; `read` transactions see one snapshot. */
  transaction<T>(mode: "write" | "read", fn: (sql: SqlRunner) => Promise<T>): Promise<T>;
  /** Extra SQL run inside a write transaction that changed the version (PostgreSQL: `pg_notify`). */
  afterWrite?(sql: SqlRunner, event: StorageChangeEvent): Promise<void>;
  /** Starts delivering other instances' changes to `deliver` (PostgreSQL: LISTEN). */
  listen?(deliver: (event: StorageChangeEvent) => void): Promise<void>;
  close(): Promise<void>;
}

/** Table names, prefixed so the tables can share a database with an application's own. */
export const TABLES = {
  meta: "kalphite_sync_meta",
  entities: "kalphite_sync_entities",
  clients: "kalphite_sync_clients",
  failures: "kalphite_sync_failures",
} as const;

/** The schema, idempotent. Versions are bigint; `min_version` is the oldest version a delta can be served from. */
export const SCHEMA_SQL = [
  `CREATE TABLE IF NOT EXISTS ${TABLES.meta} (id int PRIMARY KEY CHECK (id = 1), version bigint NOT NULL, min_version bigint NOT NULL)`,
  `INSERT INTO ${TABLES.meta} (id, version, min_version) VALUES (1, 0, 0) ON CONFLICT (id) DO NOTHING`,
  `CREATE TABLE IF NOT EXISTS ${TABLES.entities} (type text NOT NULL, id text NOT NULL, data jsonb, deleted boolean NOT NULL, version bigint NOT NULL, PRIMARY KEY (type, id))`,
  `CREATE INDEX IF NOT EXISTS ${TABLES.entities}_version ON ${TABLES.entities} (version)`,
  `CREATE TABLE IF NOT EXISTS ${TABLES.clients} (client_id text PRIMARY KEY, last_operation_id bigint NOT NULL, version bigint NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS ${TABLES.clients}_version ON ${TABLES.clients} (version)`,
  `CREATE TABLE IF NOT EXISTS ${TABLES.failures} (client_id text NOT NULL, operation_id bigint NOT NULL, error text NOT NULL, PRIMARY KEY (client_id, operation_id))`,
];

const VERSION = /^(0|[1-9][0-9]{0,15})$/;

interface EntityRow {
  type: string;
  id: string;
  data: Entity | string | null;
  deleted?: boolean;
}

interface CachedState {
  /** The snapshot's version once read. */
  version: number | undefined;
  readonly snapshot: Promise<StateSnapshot>;
}

const parseData = (data: Entity | string | null): Entity =>
  (typeof data === "string" ? JSON.parse(data) : data) as Entity;

/**
 * `SyncStorage` over SQL, shared by the PGlite and PostgreSQL backends. One
 * write transaction takes the version row's lock first, so writers are
 * serialized across connections and server instances, and a version is only
 * visible once everything stamped with it is.
 */
export class SqlSyncStorage implements SyncStorage {
  readonly kind: string;
  readonly #driver: SqlDriver;
  readonly #events = new TypedEmitter<{ change: StorageChangeEvent }>();
  #announced = 0;
  #closed = false;
  /** Shared state reads by (version asked, types), valid while no newer version is known. */
  readonly #stateCache = new Map<string, CachedState>();

  private constructor(driver: SqlDriver) {
    this.kind = driver.kind;
    this.#driver = driver;
  }

  /** Creates the tables (idempotent) and starts listening when the driver can. */
  static async open(driver: SqlDriver): Promise<SqlSyncStorage> {
    const storage = new SqlSyncStorage(driver);
    await driver.transaction("write", async (sql) => {
      for (const statement of SCHEMA_SQL) await sql.query(statement);
    });
    const [meta] = await storage.#meta();
    storage.#announced = meta?.version ?? 0;
    if (driver.listen) await driver.listen((event) => storage.#announce(event));
    return storage;
  }

  #check(): void {
    if (this.#closed) throw new SyncOpsError(SyncOpsErrorCode.Closed, `the ${this.kind} sync storage is closed`);
  }

  async #meta(): Promise<{ version: number; minVersion: number }[]> {
    return this.#driver.transaction("read", async (sql) => [await readMeta(sql)]);
  }

  #announce(event: StorageChangeEvent): void {
    if (event.stateVersion <= this.#announced) return;
    this.#announced = event.stateVersion;
    this.#stateCache.clear();
    this.#events.emit("change", event);
  }

  async transaction<T>(fn: (tx: SyncStorageTransaction) => Promise<T>): Promise<T> {
    this.#check();
    let event: StorageChangeEvent | undefined;
    const driver = this.#driver;
    const result = await driver.transaction("write", async (sql) => {
      const locked = await sql.query<{ version: string | number }>(`SELECT version FROM ${TABLES.meta} WHERE id = 1 FOR UPDATE`);
      const baseVersion = Number(locked.rows[0]?.version ?? 0);
      let applied = false;
      const tx: SyncStorageTransaction = {
        baseVersion,
        async lastOperationIds(clientIds) {
          const map = new Map<string, number>();
          if (clientIds.length === 0) return map;
          const { rows } = await sql.query<{ client_id: string; last_operation_id: string | number }>(
            `SELECT client_id, last_operation_id FROM ${TABLES.clients} WHERE client_id = ANY($1::text[])`,
            [clientIds],
          );
          for (const row of rows) map.set(row.client_id, Number(row.last_operation_id));
          return map;
        },
        async failures(clientId, operationIds) {
          const map = new Map<number, string>();
          if (operationIds.length === 0) return map;
          const { rows } = await sql.query<{ operation_id: string | number; error: string }>(
            `SELECT operation_id, error FROM ${TABLES.failures} WHERE client_id = $1 AND operation_id = ANY($2::bigint[])`,
            [clientId, operationIds],
          );
          for (const row of rows) map.set(Number(row.operation_id), row.error);
          return map;
        },
        async get(type, id) {
          const { rows } = await sql.query<EntityRow>(
            `SELECT type, id, data FROM ${TABLES.entities} WHERE type = $1 AND id = $2 AND NOT deleted`,
            [type, id],
          );
          const row = rows[0];
          return row ? parseData(row.data) : undefined;
        },
        async getByType(type) {
          const { rows } = await sql.query<EntityRow>(
            `SELECT type, id, data FROM ${TABLES.entities} WHERE type = $1 AND NOT deleted ORDER BY id`,
            [type],
          );
          return rows.map((row) => parseData(row.data));
        },
        async applyChanges(changes: StorageChanges) {
          if (applied) throw new SyncOpsError(SyncOpsErrorCode.InvalidArgument, "applyChanges was already called in this transaction");
          applied = true;
          if (changes.writes.length === 0 && changes.clients.length === 0 && changes.failures.length === 0) {
            return { stateVersion: baseVersion, changed: false };
          }
          const version = baseVersion + 1;
          const rows = changes.writes.map((w) => ({ type: w.type, id: w.id, data: w.entity, deleted: w.entity === null }));
          const clients = changes.clients.map((c) => ({ client_id: c.clientId, last_operation_id: c.lastOperationId }));
          const failures = changes.failures.map((f) => ({ client_id: f.clientId, operation_id: f.operationId, error: f.error }));
          // One statement (one round trip) for everything the push changed.
          await sql.query(
            `WITH e AS (
               INSERT INTO ${TABLES.entities} (type, id, data, deleted, version)
               SELECT x.type, x.id, x.data, x.deleted, $4::bigint FROM jsonb_to_recordset($1::jsonb) AS x(type text, id text, data jsonb, deleted boolean)
               ON CONFLICT (type, id) DO UPDATE SET data = EXCLUDED.data, deleted = EXCLUDED.deleted, version = EXCLUDED.version
               RETURNING 1),
             c AS (
               INSERT INTO ${TABLES.clients} (client_id, last_operation_id, version)
               SELECT x.client_id, x.last_operation_id, $4::bigint FROM jsonb_to_recordset($2::jsonb) AS x(client_id text, last_operation_id bigint)
               ON CONFLICT (client_id) DO UPDATE SET last_operation_id = EXCLUDED.last_operation_id, version = EXCLUDED.version
               RETURNING 1),
             f AS (
               INSERT INTO ${TABLES.failures} (client_id, operation_id, error)
               SELECT x.client_id, x.operation_id, x.error FROM jsonb_to_recordset($3::jsonb) AS x(client_id text, operation_id bigint, error text)
               ON CONFLICT (client_id, operation_id) DO NOTHING
               RETURNING 1)
             UPDATE ${TABLES.meta} SET version = $4::bigint WHERE id = 1`,
            [JSON.stringify(rows), JSON.stringify(clients), JSON.stringify(failures), version],
          );
          event = {
            stateVersion: version,
            affectedEntityTypes: [...new Set(changes.writes.map((w) => w.type))],
            clientIds: [...new Set([...changes.clients.map((c) => c.clientId), ...changes.failures.map((f) => f.clientId)])],
          };
          if (driver.afterWrite) await driver.afterWrite(sql, event);
          return { stateVersion: version, changed: true };
        },
      };
      return fn(tx);
    });
    if (event) this.#announce(event);
    return result;
  }

  async readState(query: StateQuery): Promise<StateSnapshot> {
    this.#check();
    const types = query.entityTypes && query.entityTypes.length > 0 ? [...new Set(query.entityTypes)].sort() : undefined;
    const key = `${query.sinceVersion ?? ""}|${types ? JSON.stringify(types) : ""}`;
    let cached = this.#stateCache.get(key);
    if (!cached || (cached.version !== undefined && cached.version < this.#announced)) {
      const entry: CachedState = { version: undefined, snapshot: this.#readShared(query.sinceVersion, types) };
      entry.snapshot.then(
        (snapshot) => {
          entry.version = snapshot.stateVersion;
        },
        () => this.#stateCache.delete(key),
      );
      this.#stateCache.set(key, entry);
      if (this.#stateCache.size > 256) this.#stateCache.delete(this.#stateCache.keys().next().value as string);
      cached = entry;
    }
    const shared = await cached.snapshot;
    const clientId = query.clientId;
    if (clientId === undefined || !(clientId in shared.lastOperationIds)) {
      return { ...shared, entities: [...shared.entities], deleted: [...shared.deleted], lastOperationIds: { ...shared.lastOperationIds }, failedOperations: [] };
    }
    // The client's row moved since its version: tell it which of its operations were refused.
    const failures = await this.#driver.transaction("read", (sql) =>
      sql.query<{ operation_id: string | number; error: string }>(
        `SELECT operation_id, error FROM ${TABLES.failures} WHERE client_id = $1 AND operation_id > $2 AND operation_id <= $3 ORDER BY operation_id LIMIT 10000`,
        [clientId, query.confirmedOperationId ?? 0, shared.lastOperationIds[clientId]],
      ),
    );
    return {
      ...shared,
      entities: [...shared.entities],
      deleted: [...shared.deleted],
      lastOperationIds: { ...shared.lastOperationIds },
      failedOperations: failures.rows.map((row) => ({ operationId: Number(row.operation_id), error: row.error })),
    };
  }

  /** The part of a state read every client asking the same question shares (one snapshot). */
  #readShared(since: string | undefined, types: string[] | undefined): Promise<StateSnapshot> {
    return this.#driver.transaction("read", async (sql) => {
      const meta = await readMeta(sql);
      const parsed = since !== undefined && VERSION.test(since) ? Number(since) : undefined;
      const delta = parsed !== undefined && parsed >= meta.minVersion && parsed <= meta.version;
      const entities: Entity[] = [];
      const deleted: DeletedEntity[] = [];
      const lastOperationIds: Record<string, number> = {};
      if (delta && parsed === meta.version) {
        return { stateVersion: meta.version, reset: false, entities, deleted, lastOperationIds, failedOperations: [] };
      }
      if (delta) {
        const { rows } = await sql.query<EntityRow>(
          `SELECT type, id, data, deleted FROM ${TABLES.entities} WHERE version > $1${types ? " AND type = ANY($2::text[])" : ""} ORDER BY version, type, id`,
          types ? [parsed, types] : [parsed],
        );
        for (const row of rows) {
          if (row.deleted) deleted.push({ entityType: row.type, entityId: row.id });
          else entities.push(parseData(row.data));
        }
      } else {
        const { rows } = await sql.query<EntityRow>(
          `SELECT type, id, data FROM ${TABLES.entities} WHERE NOT deleted${types ? " AND type = ANY($1::text[])" : ""} ORDER BY type, id`,
          types ? [types] : [],
        );
        for (const row of rows) entities.push(parseData(row.data));
      }
      const clients = await sql.query<{ client_id: string; last_operation_id: string | number }>(
        `SELECT client_id, last_operation_id FROM ${TABLES.clients}${delta ? " WHERE version > $1" : ""}`,
        delta ? [parsed] : [],
      );
      for (const row of clients.rows) lastOperationIds[row.client_id] = Number(row.last_operation_id);
      return { stateVersion: meta.version, reset: !delta, entities, deleted, lastOperationIds, failedOperations: [] };
    });
  }

  onChange(listener: (event: StorageChangeEvent) => void): () => void {
    return this.#events.on("change", listener);
  }

  async compact(beforeVersion: number): Promise<void> {
    this.#check();
    if (!Number.isSafeInteger(beforeVersion) || beforeVersion < 0) {
      throw new SyncOpsError(SyncOpsErrorCode.InvalidArgument, `compact(beforeVersion): expected a non-negative integer, got ${String(beforeVersion)}`);
    }
    await this.#driver.transaction("write", async (sql) => {
      const locked = await sql.query<{ version: string | number }>(`SELECT version FROM ${TABLES.meta} WHERE id = 1 FOR UPDATE`);
      const upTo = Math.min(beforeVersion, Number(locked.rows[0]?.version ?? 0));
      await sql.query(`DELETE FROM ${TABLES.entities} WHERE deleted AND version <= $1`, [upTo]);
      await sql.query(`UPDATE ${TABLES.meta} SET min_version = GREATEST(min_version, $1::bigint) WHERE id = 1`, [upTo]);
    });
    // Deltas from before the compaction are no longer servable.
    this.#stateCache.clear();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#events.clear();
    await this.#driver.close();
  }
}

async function readMeta(sql: SqlRunner): Promise<{ version: number; minVersion: number }> {
  const { rows } = await sql.query<{ version: string | number; min_version: string | number }>(
    `SELECT version, min_version FROM ${TABLES.meta} WHERE id = 1`,
  );
  return { version: Number(rows[0]?.version ?? 0), minVersion: Number(rows[0]?.min_version ?? 0) };
}
