// Type-only. The SQL surface of the PGlite instance behind a
// FrontendDatabase (`db.pglite`), declared here so this package's public
// declarations never load PGlite's own: those need `@types/emscripten`,
// `@types/node` and `lib: esnext.disposable`, so a consumer type-checking with
// `skipLibCheck: false` fails on them ("Cannot find namespace 'Emscripten'").
// The object is the real PGlite instance; `PGlite` is assignable to this.

/** What a query returns. */
export interface PGliteResults<T> {
  readonly rows: T[];
  readonly affectedRows?: number;
  readonly fields: readonly { readonly name: string; readonly dataTypeID: number }[];
}

/** PGlite's per-query options (`rowMode`, `parsers`, …). */
export interface PGliteQueryOptions {
  readonly rowMode?: "object" | "array";
  readonly [option: string]: unknown;
}

/** Runs SQL: a PGlite instance or one of its transactions. */
export interface PGliteQueryable {
  query<T = Record<string, unknown>>(query: string, params?: unknown[], options?: PGliteQueryOptions): Promise<PGliteResults<T>>;
  exec(query: string, options?: PGliteQueryOptions): Promise<Array<PGliteResults<Record<string, unknown>>>>;
}

/** A PGlite transaction (the callback's argument of `transaction`). */
export interface PGliteTransactionHandle extends PGliteQueryable {
  rollback(): Promise<void>;
}

/**
 * `db.pglite`: the PGlite instance, for SQL this package's API does not
 * cover. Cast to `PGlite` from `@electric-sql/pglite` for the rest of its API.
 */
export interface PGliteHandle extends PGliteQueryable {
  transaction<T>(callback: (tx: PGliteTransactionHandle) => Promise<T>): Promise<T>;
}
