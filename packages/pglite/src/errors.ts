import { KalphiteError } from "@kalphite/store";

/** Codes of the errors thrown by `@kalphite/pglite`. */
export const DatabaseErrorCode = {
  /** A method was called before `init()` resolved. */
  NotInitialized: "NOT_INITIALIZED",
  /** A method was called after `close()`. */
  Closed: "CLOSED",
  /** A write would take the stored entity data past `maxStorageMB`. */
  QuotaExceeded: "QUOTA_EXCEEDED",
  /** A migration's `up` or `down` threw (or a needed `down` is missing); the database stays at the previous version. */
  MigrationFailed: "MIGRATION_FAILED",
  /** `restore(blob)` was given something that is not a Kalphite backup; nothing was changed. */
  InvalidBackup: "INVALID_BACKUP",
  /** `backup()`/`restore()` on a database opened with `enableBackup: false`. */
  BackupDisabled: "BACKUP_DISABLED",
  /** A `DatabaseConfig` value is missing or out of range. */
  InvalidConfig: "INVALID_CONFIG",
  /** A bad argument (a malformed flush change, a non-string id, …); nothing was written. */
  InvalidArgument: "INVALID_ARGUMENT",
  /** A `find()` query or index field that cannot be turned into safe SQL. */
  InvalidQuery: "INVALID_QUERY",
  /** A transaction handle used after its `transaction(fn)` scope ended. */
  TransactionClosed: "TRANSACTION_CLOSED",
  /** PGlite could not open the database (bad path, `idb://` outside a browser, …). */
  OpenFailed: "OPEN_FAILED",
  /** Postgres refused a statement; `cause` is the PGlite error (with its SQLSTATE `code`). */
  QueryFailed: "QUERY_FAILED",
  /** A valid backup could not be swapped in; the database was left as it was. */
  RestoreFailed: "RESTORE_FAILED",
} as const;

/** A code of `DatabaseErrorCode`. */
export type DatabaseErrorCode = (typeof DatabaseErrorCode)[keyof typeof DatabaseErrorCode];

/** Every error `@kalphite/pglite` throws, except the store's `ValidationError` for invalid entities. */
export class DatabaseError<TCode extends DatabaseErrorCode = DatabaseErrorCode> extends KalphiteError<TCode> {
  constructor(code: TCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "DatabaseError";
  }
}

/** A write was refused because it would take the stored data past `maxStorageMB`. Reads keep working. */
export class QuotaExceededError extends DatabaseError<"QUOTA_EXCEEDED"> {
  /** Bytes of entity data stored before the refused write. */
  readonly usedBytes: number;
  /** The refused write's net growth of the stored data, in bytes (what it adds minus what it replaces or deletes). */
  readonly requestedBytes: number;
  /** `maxStorageMB` in bytes (MB = 1024 × 1024 bytes). */
  readonly limitBytes: number;

  constructor(usedBytes: number, requestedBytes: number, limitBytes: number) {
    const mb = (bytes: number) => `${(bytes / 1048576).toFixed(2)} MB`;
    super(
      DatabaseErrorCode.QuotaExceeded,
      `Storage quota exceeded: the database holds ${mb(usedBytes)} of entity data, this write would grow it by ${mb(requestedBytes)}, the limit (maxStorageMB) is ${mb(limitBytes)}. Nothing was written; delete entities or raise maxStorageMB.`,
    );
    this.name = "QuotaExceededError";
    this.usedBytes = usedBytes;
    this.requestedBytes = requestedBytes;
    this.limitBytes = limitBytes;
  }
}

/** A migration failed; its transaction was rolled back and the database stays at the previous version. */
export class MigrationError extends DatabaseError<"MIGRATION_FAILED"> {
  /** The version of the migration that failed. */
  readonly version: number;
  /** Which way it was run. */
  readonly direction: "up" | "down";

  constructor(version: number, direction: "up" | "down", message: string, options?: { cause?: unknown }) {
    super(DatabaseErrorCode.MigrationFailed, message, options);
    this.name = "MigrationError";
    this.version = version;
    this.direction = direction;
  }
}

/**
 * Turns anything thrown by PGlite into a `DatabaseError` (`QUERY_FAILED`
 * unless another code is given), keeping it as `cause`. Kalphite errors
 * (including the store's `ValidationError`) pass through unchanged.
 */
export function toDatabaseError(error: unknown, what: string, code: DatabaseErrorCode = DatabaseErrorCode.QueryFailed): KalphiteError {
  if (error instanceof KalphiteError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new DatabaseError(code, `${what} failed: ${detail}`, { cause: error });
}
