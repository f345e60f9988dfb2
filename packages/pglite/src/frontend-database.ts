import type { PGlite } from "@electric-sql/pglite";
import type { PGliteHandle } from "./pglite-handle";
import type { FlushChange, FlushTarget } from "@kalphite/flush";
import type { BaseEntity, Entity } from "@kalphite/store";
import { readBackupArchive } from "./backup-archive";
import { resolveConfig, type DatabaseConfig, type ResolvedConfig } from "./config";
import { openPGlite, recoverDirectory, restoreArchive } from "./database-restore";
import { EntityMethods, type ApplyContext, type EntityOperations } from "./entity-methods";
import { measureStoredBytes } from "./entity-sql";
import { DatabaseError, DatabaseErrorCode, toDatabaseError } from "./errors";
import { TRANSITIONS, type DatabaseState } from "./database-state";
import { createIndexSql, dropIndexSql, indexDefinitionsSql, type FindOptions } from "./find-query";
import { appVersion, migrateApp, migrateBuiltin } from "./migrator";
import { StorageQuota, type StorageUsage } from "./storage-quota";
import { pgliteDataDir } from "./storage-location";
import { runTransaction, type DatabaseTransaction } from "./transaction-scope";

const noop = () => undefined;

/**
 * Creates the index on `field` when missing, and drops an index an older
 * version made for the same expression under its legacy name (whose scheme
 * let `a.b` and `a__b` collide: the definitions are compared, so the other
 * field's index is left alone).
 */
async function ensureIndex(pg: PGlite, field: string): Promise<void> {
  await pg.exec(createIndexSql(field));
  const { sql, params, current, legacy } = indexDefinitionsSql(field);
  const { rows } = await pg.query<{ name: string; definition: string }>(sql, params);
  const mine = rows.find((row) => row.name === current)?.definition;
  const old = rows.find((row) => row.name === legacy)?.definition;
  if (mine !== undefined && old === mine) await pg.exec(`DROP INDEX IF EXISTS "${legacy}"`);
}

/**
 * The local database: a real Postgres (PGlite, in WASM) holding entities as
 * JSONB keyed by `(type, id)`, in memory, in a directory (Node) or in
 * IndexedDB (browser). Call `init()` first; every other method rejects with
 * `NOT_INITIALIZED` before it and `CLOSED` after `close()`. Operations run one
 * at a time, in call order.
 *
 * @example
 * const db = new FrontendDatabase({ dbName: "./data/app", schema });
 * await db.init();
 * await db.upsert("todo", "t1", { title: "Ship it", done: false });
 * const open = await db.find("todo", { where: { done: false }, orderBy: "title", limit: 20 });
 */
export class FrontendDatabase implements EntityOperations {
  readonly #config: ResolvedConfig;
  readonly #quota: StorageQuota;
  readonly #entities: EntityMethods;
  #state: DatabaseState = "created";
  #pg: PGlite | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #initializing: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  /** @throws DatabaseError `INVALID_CONFIG` naming the bad option. */
  constructor(config: DatabaseConfig) {
    this.#config = resolveConfig(config);
    this.#quota = new StorageQuota(this.#config.maxStorageBytes);
    this.#entities = new EntityMethods({
      schema: this.#config.schema,
      measure: this.#quota.enabled,
      read: (what, fn) => this.#run(what, (pg) => fn(pg)),
      write: (what, plan) =>
        this.#run(what, async (pg) => {
          const { grows, run } = plan();
          try {
            const outcome = await run(pg, { measure: this.#quota.enabled, allowedGrowth: grows ? this.#quota.allowedGrowth() : undefined });
            this.#quota.add(outcome.sizeDelta);
            return outcome;
          } catch (error) {
            throw this.#quota.refusal(error) ?? error;
          }
        }),
    });
  }

  /** The `dbName` it was created with. */
  get dbName(): string {
    return this.#config.dbName;
  }

  /** The lifecycle state (see `DatabaseState`). */
  get state(): DatabaseState {
    return this.#state;
  }

  /**
   * The underlying PGlite instance, for SQL this API does not cover. Writes
   * made through it bypass validation and the quota. It changes after `restore()`.
   * @throws DatabaseError `NOT_INITIALIZED` / `CLOSED`
   */
  get pglite(): PGliteHandle {
    this.#assertUsable("pglite");
    return this.#pg!;
  }

  #transition(next: DatabaseState): void {
    if (!TRANSITIONS[this.#state].includes(next)) {
      throw new DatabaseError(DatabaseErrorCode.InvalidArgument, `FrontendDatabase: cannot go from ${this.#state} to ${next}`);
    }
    this.#state = next;
  }

  /** Reads the state afresh (an await may have changed it). */
  #stateIs(state: DatabaseState): boolean {
    return this.#state === state;
  }

  #assertUsable(what: string): void {
    if (this.#state === "closed") throw new DatabaseError(DatabaseErrorCode.Closed, `FrontendDatabase(${this.#config.dbName}).${what}: the database is closed`);
    if (this.#state === "created" || this.#state === "opening" || this.#pg === undefined) {
      throw new DatabaseError(DatabaseErrorCode.NotInitialized, `FrontendDatabase(${this.#config.dbName}).${what}: the database is not initialised; await db.init() first`);
    }
  }

  /** Serialises `fn` after everything queued before it. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.then(noop, noop);
    return result;
  }

  /**
   * Checks the state, then runs `fn` on the current instance in turn. PGlite's
   * errors become `DatabaseError`s unless `wrap` is false (`fn` wraps its own).
   */
  async #run<T>(what: string, fn: (pg: PGlite) => Promise<T>, wrap = true): Promise<T> {
    this.#assertUsable(what);
    try {
      return await this.#exclusive(() => fn(this.#pg!));
    } catch (error) {
      throw wrap ? toDatabaseError(error, what) : error;
    }
  }

  /**
   * Opens PGlite, creates or upgrades Kalphite's tables, runs the pending
   * user migrations (unless `enableMigrations` is false), creates the
   * configured indexes and measures the stored size when `maxStorageMB` is
   * set. Safe to call again (it runs what is still pending).
   * @throws DatabaseError `OPEN_FAILED` (the database stays uninitialised), MigrationError
   *   (the database stays open and usable at the last good version)
   */
  init(): Promise<void> {
    if (this.#state === "closed") return Promise.reject(new DatabaseError(DatabaseErrorCode.Closed, `FrontendDatabase(${this.#config.dbName}).init: the database is closed`));
    this.#initializing ??= this.#initialize().finally(() => {
      this.#initializing = undefined;
    });
    return this.#initializing;
  }

  async #initialize(): Promise<void> {
    if (this.#state === "created") {
      this.#transition("opening");
      let pg: PGlite | undefined;
      try {
        if (this.#config.location.kind === "directory") await recoverDirectory(this.#config.location.path);
        pg = await openPGlite(pgliteDataDir(this.#config.location));
        await migrateBuiltin(pg);
      } catch (error) {
        await pg?.close().catch(noop);
        if (this.#stateIs("opening")) this.#transition("created");
        throw toDatabaseError(error, `Opening ${this.#config.dbName}`, DatabaseErrorCode.OpenFailed);
      }
      if (!this.#stateIs("opening")) {
        await pg.close().catch(noop); // closed while opening
        throw new DatabaseError(DatabaseErrorCode.Closed, `FrontendDatabase(${this.#config.dbName}).init: closed while opening`);
      }
      this.#pg = pg;
      this.#transition("ready");
    }
    await this.#run("init", async (pg) => {
      try {
        await this.#prepare(pg);
      } finally {
        if (this.#quota.enabled) this.#quota.reset(await measureStoredBytes(pg));
      }
    });
  }

  /** User migrations (when enabled) and configured indexes, on a freshly opened or restored instance. */
  async #prepare(pg: PGlite): Promise<void> {
    try {
      if (this.#config.enableMigrations) await migrateApp(pg, this.#config.migrations, Number.POSITIVE_INFINITY);
    } finally {
      for (const field of this.#config.indexes) await ensureIndex(pg, field);
    }
  }

  /**
   * Waits for the operations already queued, then closes PGlite. Calling it
   * again resolves; every other method then rejects with `CLOSED`.
   */
  async close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    const opening = this.#initializing;
    this.#transition("closed");
    this.#closing = (async () => {
      await opening?.catch(noop);
      await this.#exclusive(async () => {
        await this.#pg?.close();
        this.#pg = undefined;
      });
    })();
    return this.#closing;
  }

  // ---- entities (see EntityOperations) ------------------------------------

  /** {@inheritDoc EntityOperations.upsert} */
  upsert(entityType: string, entityId: string, entity: object): Promise<void> {
    return this.#entities.upsert(entityType, entityId, entity);
  }
  /** {@inheritDoc EntityOperations.upsertMany} */
  upsertMany<T extends BaseEntity>(entities: Iterable<T>): Promise<number> {
    return this.#entities.upsertMany(entities);
  }
  /** {@inheritDoc EntityOperations.delete} */
  delete(entityType: string, entityId: string): Promise<boolean> {
    return this.#entities.delete(entityType, entityId);
  }
  /** {@inheritDoc EntityOperations.deleteMany} */
  deleteMany(entityType: string, ids: Iterable<string>): Promise<number> {
    return this.#entities.deleteMany(entityType, ids);
  }
  /** {@inheritDoc EntityOperations.applyChanges} */
  applyChanges(changes: readonly FlushChange[], context?: ApplyContext): Promise<void> {
    return this.#entities.applyChanges(changes, context);
  }
  /** {@inheritDoc EntityOperations.getMeta} */
  getMeta<T = unknown>(key: string): Promise<T | undefined> {
    return this.#entities.getMeta<T>(key);
  }
  /** {@inheritDoc EntityOperations.setMeta} */
  setMeta(key: string, value: unknown): Promise<void> {
    return this.#entities.setMeta(key, value);
  }
  /** {@inheritDoc EntityOperations.getById} */
  getById<T extends BaseEntity = Entity>(entityType: string, entityId: string): Promise<T | undefined> {
    return this.#entities.getById<T>(entityType, entityId);
  }
  /** {@inheritDoc EntityOperations.getByType} */
  getByType<T extends BaseEntity = Entity>(entityType: string): Promise<T[]> {
    return this.#entities.getByType<T>(entityType);
  }
  /** {@inheritDoc EntityOperations.getAll} */
  getAll<T extends BaseEntity = Entity>(): Promise<T[]> {
    return this.#entities.getAll<T>();
  }
  /** {@inheritDoc EntityOperations.count} */
  count(entityType?: string): Promise<number> {
    return this.#entities.count(entityType);
  }
  /** {@inheritDoc EntityOperations.query} */
  query<T = Entity>(entityType: string, filter?: (entity: T) => boolean, orderBy?: keyof T | ((entity: T) => unknown), direction?: "asc" | "desc"): Promise<T[]> {
    return this.#entities.query<T>(entityType, filter, orderBy, direction);
  }
  /** {@inheritDoc EntityOperations.find} */
  find<T extends BaseEntity = Entity>(entityType: string, options?: FindOptions): Promise<T[]> {
    return this.#entities.find<T>(entityType, options);
  }

  /**
   * Runs `fn` in one SQL transaction: commits when it resolves, rolls back
   * when it throws (rethrowing its error). Use the `tx` handle inside; the
   * database's own methods wait until the transaction ends, so awaiting them
   * inside `fn` would deadlock.
   */
  transaction<T>(fn: (tx: DatabaseTransaction) => Promise<T> | T): Promise<T> {
    if (typeof fn !== "function") return Promise.reject(new DatabaseError(DatabaseErrorCode.InvalidArgument, "transaction(fn): fn must be a function"));
    // runTransaction wraps PGlite's errors itself and rethrows fn's own unchanged.
    return this.#run("transaction", (pg) => runTransaction(pg, this.#config.schema, this.#quota, fn), false);
  }

  /** A `FlushTarget` writing each batch and its `context.meta` through `applyChanges` (one statement, all or nothing). */
  asFlushTarget(): FlushTarget {
    return (changes, context) => this.applyChanges(changes, context);
  }

  // ---- indexes, migrations, storage -------------------------------------

  /**
   * Indexes `field` (dotted for nested fields) for `find()`: equality, ranges
   * and ordering on it use the index. Idempotent; the index persists. An
   * index an older version made for the same field under its old name is
   * replaced.
   */
  createIndex(field: string): Promise<void> {
    return this.#run("createIndex", (pg) => ensureIndex(pg, field));
  }

  /** Drops the index `createIndex(field)` made (no error when there is none). */
  dropIndex(field: string): Promise<void> {
    return this.#run("dropIndex", async (pg) => {
      const { sql, params, legacy } = indexDefinitionsSql(field);
      const { rows } = await pg.query<{ name: string }>(sql, params);
      if (rows.some((row) => row.name === legacy)) await ensureIndex(pg, field); // drops the legacy one if it is this field's
      await pg.exec(dropIndexSql(field));
    });
  }

  /** The application's schema version: the highest user migration applied (0 for none). */
  getMigrationVersion(): Promise<number> {
    return this.#run("getMigrationVersion", (pg) => appVersion(pg));
  }

  /**
   * Migrates the application's schema up or down to `version` (0 undoes
   * every migration), one transaction per step; runs even with
   * `enableMigrations: false`.
   * @throws MigrationError naming the failing version (earlier steps stay applied)
   */
  migrateTo(version: number): Promise<void> {
    const known = version === 0 || this.#config.migrations.some((m) => m.version === version);
    if (!Number.isSafeInteger(version) || !known) {
      return Promise.reject(new DatabaseError(DatabaseErrorCode.InvalidArgument, `migrateTo(${JSON.stringify(version)}): expected 0 or the version of a configured migration`));
    }
    return this.#run("migrateTo", async (pg) => {
      try {
        await migrateApp(pg, this.#config.migrations, version);
      } finally {
        if (this.#quota.enabled) this.#quota.reset(await measureStoredBytes(pg));
      }
    });
  }

  /** Measures the stored entity data now (one query) and returns it with the limit. */
  getStorageUsage(): Promise<StorageUsage> {
    return this.#run("getStorageUsage", async (pg) => {
      const usedBytes = await measureStoredBytes(pg);
      this.#quota.reset(usedBytes);
      return { usedBytes, limitBytes: this.#quota.limitBytes };
    });
  }

  // ---- backup -------------------------------------------------------------

  #assertBackupEnabled(what: string): void {
    if (!this.#config.enableBackup) {
      throw new DatabaseError(DatabaseErrorCode.BackupDisabled, `FrontendDatabase(${this.#config.dbName}).${what}: backups are disabled (enableBackup: false)`);
    }
  }

  /**
   * The whole database (every table, Kalphite's and your migrations') as a
   * gzipped tarball of the Postgres data directory (PGlite `dumpDataDir`).
   * @throws DatabaseError `BACKUP_DISABLED` when `enableBackup` is false
   */
  async backup(): Promise<Blob> {
    this.#assertBackupEnabled("backup");
    return this.#run("backup", (pg) => pg.dumpDataDir("gzip"));
  }

  /**
   * Replaces this database's contents with a `backup()` (from any Kalphite
   * database). The blob is checked first — an archive of a Postgres data
   * directory holding Kalphite's tables, not newer than this code — and
   * brought up to date with the configured migrations before it replaces
   * anything; on any failure the database is left as it was. In memory or in
   * a directory the whole database is replaced (a directory ends up holding
   * the restored data); in IndexedDB/OPFS the entities are replaced in place.
   * @throws DatabaseError `INVALID_BACKUP` / `BACKUP_DISABLED` / `RESTORE_FAILED`, MigrationError
   */
  async restore(backup: Blob): Promise<void> {
    this.#assertBackupEnabled("restore");
    await this.#run("restore", async () => {
      if (this.#stateIs("closed")) throw new DatabaseError(DatabaseErrorCode.Closed, `FrontendDatabase(${this.#config.dbName}).restore: closed before the restore could start`);
      const archive = await readBackupArchive(backup);
      this.#transition("restoring");
      try {
        await restoreArchive(
          {
            location: this.#config.location,
            current: () => this.#pg!,
            prepare: async (pg) => {
              await migrateBuiltin(pg); // a backup made by an older version gets Kalphite's newer tables
              await this.#prepare(pg);
            },
            adopt: (next) => {
              this.#pg = next;
            },
          },
          archive,
        );
      } finally {
        if (this.#stateIs("restoring")) this.#transition("ready");
      }
      if (this.#quota.enabled) this.#quota.reset(await measureStoredBytes(this.#pg!));
    });
  }
}

/**
 * Creates a `FrontendDatabase` and initialises it.
 * @throws what `new FrontendDatabase(config)` and `init()` throw (a database whose init failed is closed)
 */
export async function createFrontendDatabase(config: DatabaseConfig): Promise<FrontendDatabase> {
  const db = new FrontendDatabase(config);
  try {
    await db.init();
  } catch (error) {
    await db.close().catch(noop);
    throw error;
  }
  return db;
}
