import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { EntitySchema } from "@kalphite/store";
import { DatabaseError, DatabaseErrorCode } from "./errors";
import { checkFieldPath } from "./find-query";
import type { Migration } from "./migration-types";
import { parseLocation, type StorageLocation } from "./storage-location";

/** Options of `new FrontendDatabase(config)`. */
export interface DatabaseConfig {
  /**
   * Where the database lives: `"memory://"` (or `"memory://name"`) in memory,
   * a directory path in Node (created when missing; `"file://…"` also works),
   * `"idb://name"` in IndexedDB in a browser.
   */
  dbName: string;
  /**
   * A Standard Schema (Zod, Valibot, ArkType…) every written entity must pass,
   * typically the store's schema. Invalid entities are refused with the
   * store's `ValidationError` and nothing is written.
   * @default undefined (only the `{ id, type }` shape is checked)
   */
  schema?: StandardSchemaV1 | undefined;
  /**
   * Run the user `migrations` on `init()`. With `false` they are neither run
   * nor checked (the version stays where it is); Kalphite's own tables are
   * still created, and `migrateTo()` still works when called explicitly.
   * @default true
   */
  enableMigrations?: boolean | undefined;
  /** `false` makes `backup()` and `restore()` throw `BACKUP_DISABLED`. @default true */
  enableBackup?: boolean | undefined;
  /**
   * Most entity data the database may hold, in MB (1 MB = 1024 × 1024 bytes).
   * A write whose net growth (what it adds minus what it replaces or deletes)
   * would take it past the limit is refused whole with a `QuotaExceededError`;
   * reads, deletes and writes that do not grow the data keep working.
   * @default undefined (no limit)
   */
  maxStorageMB?: number | undefined;
  /** The application's migrations, run in `version` order on `init()`, each in its own transaction. @default [] */
  migrations?: readonly Migration[] | undefined;
  /**
   * Entity fields to index for `find()` (see `createIndex`), created on
   * `init()` if missing, e.g. `["done", "project.id"]`.
   * @default []
   */
  indexes?: readonly string[] | undefined;
}

/** A `DatabaseConfig` with defaults applied and every value checked. */
export interface ResolvedConfig {
  readonly dbName: string;
  readonly location: StorageLocation;
  readonly schema: EntitySchema | undefined;
  readonly enableMigrations: boolean;
  readonly enableBackup: boolean;
  /** `maxStorageMB` in bytes, or undefined for no limit. */
  readonly maxStorageBytes: number | undefined;
  /** Sorted by version. */
  readonly migrations: readonly Migration[];
  readonly indexes: readonly string[];
}

function invalid(message: string): DatabaseError {
  return new DatabaseError(DatabaseErrorCode.InvalidConfig, `FrontendDatabase config: ${message}`);
}

function optionalBoolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw invalid(`${name} must be a boolean, got ${typeof value}`);
  return value;
}

function checkMigrations(value: unknown): Migration[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid("migrations must be an array of { version, up, down? }");
  const seen = new Set<number>();
  for (const [index, m] of value.entries()) {
    const migration = m as Partial<Migration> | null;
    const version = migration?.version;
    if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 1) {
      throw invalid(`migrations[${index}].version must be an integer ≥ 1, got ${JSON.stringify(version)}`);
    }
    if (seen.has(version)) throw invalid(`migrations: version ${version} appears twice`);
    seen.add(version);
    if (typeof migration?.up !== "function") throw invalid(`migration ${version}: up(db) must be a function`);
    if (migration.down !== undefined && typeof migration.down !== "function") throw invalid(`migration ${version}: down(db) must be a function when given`);
  }
  return [...(value as Migration[])].sort((a, b) => a.version - b.version);
}

/** Checks `config` and applies the defaults. @throws DatabaseError `INVALID_CONFIG` naming the bad option. */
export function resolveConfig(config: DatabaseConfig): ResolvedConfig {
  if (typeof config !== "object" || config === null) throw invalid("config must be an object with a dbName");
  const { dbName, schema, maxStorageMB, indexes } = config;
  if (typeof dbName !== "string" || dbName.trim() === "") {
    throw invalid('dbName must be a non-empty string: "memory://", a directory path, or "idb://name"');
  }
  if (schema !== undefined && typeof (schema as Partial<StandardSchemaV1> | null)?.["~standard"]?.validate !== "function") {
    throw invalid("schema must implement Standard Schema (a `~standard.validate` function), such as a Zod, Valibot or ArkType schema");
  }
  if (maxStorageMB !== undefined && (typeof maxStorageMB !== "number" || !Number.isFinite(maxStorageMB) || maxStorageMB <= 0)) {
    throw invalid(`maxStorageMB must be a finite number of megabytes > 0, got ${JSON.stringify(maxStorageMB)}`);
  }
  if (indexes !== undefined && !Array.isArray(indexes)) throw invalid("indexes must be an array of field names");
  const indexList = [...(indexes ?? [])];
  for (const field of indexList) checkFieldPath(field);
  return {
    dbName,
    location: parseLocation(dbName),
    schema: schema as EntitySchema | undefined,
    enableMigrations: optionalBoolean(config.enableMigrations, "enableMigrations", true),
    enableBackup: optionalBoolean(config.enableBackup, "enableBackup", true),
    maxStorageBytes: maxStorageMB === undefined ? undefined : Math.floor(maxStorageMB * 1024 * 1024),
    migrations: checkMigrations(config.migrations),
    indexes: indexList,
  };
}
