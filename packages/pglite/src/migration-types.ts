/** What a raw SQL statement returned: its rows and how many rows it changed. */
export interface SqlResult<TRow = Record<string, unknown>> {
  readonly rows: TRow[];
  /** Rows inserted, updated or deleted (0 for a SELECT). */
  readonly affectedRows: number;
}

/**
 * The handle a migration's `up(db)`/`down(db)` receives: raw SQL bound to
 * the migration's own transaction. It stops working when the migration
 * returns (then it throws `TRANSACTION_CLOSED`).
 */
export interface MigrationContext {
  /** Runs one statement with `$1`, `$2`… parameters, serialised by PGlite for their SQL types (objects as JSON for `json`/`jsonb`). */
  query<TRow = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<SqlResult<TRow>>;
  /** Runs one or more statements separated by `;`, without parameters. */
  exec(sql: string): Promise<void>;
}

/**
 * One application migration. Versions are integers ≥ 1, unique, run in
 * ascending order; each `up` (or `down`) runs in its own transaction together
 * with the bookkeeping row, so a throwing migration leaves no trace and the
 * database stays at the previous version.
 */
export interface Migration {
  /** An integer ≥ 1; the order migrations run in. */
  readonly version: number;
  /** A label for messages and the `kalphite_migrations` table. @default undefined (messages say "Migration 3") */
  readonly name?: string | undefined;
  /** Moves the database from the previous version to this one. */
  up(db: MigrationContext): Promise<void> | void;
  /** Undoes `up`; needed only to migrate below this version with `migrateTo()`. */
  down?(db: MigrationContext): Promise<void> | void;
}
