import { FlushError, FlushErrorCode, MemoryFlushEngine, type CloseOptions, type FlushConfig } from "@kalphite/flush";
import { FrontendDatabase, createFlushTarget, hydrate, type DatabaseConfig } from "@kalphite/pglite";
import type { ClientMutator } from "@kalphite/coordinator";
import { KalphiteError, KalphiteStore, type BaseEntity, type EntitySchema, type InferEntity, type InvalidEntity, type StoreOptions } from "@kalphite/store";
import { startEntitySync } from "./sync/entities";
import { startOperationSync, type StartedSync } from "./sync/operations";
import { checkSyncOptions, type KalphiteSyncOptions } from "./sync/options";
import type { KalphiteMutate, KalphiteSync } from "./sync/types";

/**
 * Flush engine options `createKalphite` passes through (`debounceMs`,
 * `maxWaitMs`, `maxRetries`, `isRetriable`, `maxBatchSize`, …); the flush
 * target is always the database.
 */
export type KalphiteFlushOptions = Partial<Omit<FlushConfig, "flushTarget">>;

/**
 * What start-up does with a stored entity today's schema refuses:
 * `"skip"` quarantines it (left out of the store, kept in the database,
 * reported in `app.invalid`), a function does the same and is called once
 * with the quarantined rows (when there are any) before `createKalphite`
 * resolves, `"throw"` refuses to start with the `ValidationError`.
 */
export type KalphiteInvalidPolicy = "skip" | "throw" | ((invalid: readonly InvalidEntity[]) => void);

/** Database options `createKalphite` passes through (`migrations`, `indexes`, `maxStorageMB`, …); the location comes from `dbName`/`dataDir`, the schema from `schema`. */
export type KalphiteDatabaseOptions = Omit<DatabaseConfig, "dbName" | "schema">;

/** Store options `createKalphite` passes through; the sink is always the flush engine. */
export type KalphiteStoreOptions = Omit<StoreOptions, "sink">;

/** The mutators type of `options.sync` when none are given. */
export type NoMutators = Record<never, ClientMutator>;

/**
 * Options of `createKalphite`. Give exactly one of `dbName` and `dataDir`;
 * `sync` adds network sync.
 */
export interface KalphiteOptions<TSchema extends EntitySchema, TMutators extends Record<string, ClientMutator> = NoMutators> {
  /** The entity schema, any Standard Schema (Zod, Valibot, ArkType…), typically a discriminated union on `type`. */
  readonly schema: TSchema;
  /** A named database: `memory://…` for an in-memory one, otherwise as `FrontendDatabase` interprets `dbName`. */
  readonly dbName?: string | undefined;
  /** A directory on disk for the database (Node), created when missing. */
  readonly dataDir?: string | undefined;
  /** Flush engine tuning (`debounceMs`, `maxRetries`, …). @default the engine's defaults */
  readonly flush?: KalphiteFlushOptions | undefined;
  /** Store options (`freeze`, `onListenerError`). */
  readonly store?: KalphiteStoreOptions | undefined;
  /** Database options (`migrations`, `indexes`, `maxStorageMB`, `enableBackup`). */
  readonly db?: KalphiteDatabaseOptions | undefined;
  /**
   * What a stored entity that no longer passes `schema` does at start-up
   * (see `KalphiteInvalidPolicy`).
   * @default "skip"
   */
  readonly onInvalid?: KalphiteInvalidPolicy | undefined;
  /**
   * Network sync (see `KalphiteSyncOptions`): `{ url, mode?, mutators?,
   * authToken?, room? }`. Without it the instance is local only. With it,
   * `createKalphite` still resolves without the server (offline first) and
   * syncs in the background; pending operations live in the same database.
   * @default undefined (local only)
   */
  readonly sync?: KalphiteSyncOptions<TMutators> | undefined;
}

/** A wired Kalphite instance: every local change to `store` flows through `flushEngine` into `db`. */
export interface Kalphite<TEntity extends BaseEntity, TMutators extends Record<string, ClientMutator> = NoMutators> {
  /** The store, hydrated from the database; `store.todo` is typed from the schema. */
  readonly store: KalphiteStore<TEntity>;
  /** The local database. */
  readonly db: FrontendDatabase;
  /**
   * Delivers the store's changes to `db` (debounced, batched, retried).
   * Changes the database can never store are its dead letters:
   * `flushEngine.getDeadLetters()`, `retryDeadLetters()`,
   * `discardDeadLetters(keys?)` and the `dead` event.
   */
  readonly flushEngine: MemoryFlushEngine;
  /**
   * The quarantine: stored entities today's schema refused at start-up, each
   * with its `entityType`, `entityId`, the stored `entity` and the `error`.
   * They are not in the store and stay in the database untouched (empty with
   * `onInvalid: "throw"`, which refuses to start instead).
   */
  readonly invalid: readonly InvalidEntity[];
  /**
   * The network side (`status()`, `connect()`, `disconnect()`, `flush()`,
   * `onStatus`, `onRejected`, `onError`, the `engine`); `undefined` without
   * `options.sync`.
   */
  readonly sync: KalphiteSync | undefined;
  /**
   * `mutate.<name>(...args)` for every mutator of `options.sync.mutators`:
   * runs it on the store at once (speculatively), sends it, and resolves
   * once the server applied it; rejects (code `REJECTED`, rolled back) when
   * the server refuses it. Empty without mutators.
   */
  readonly mutate: KalphiteMutate<TMutators>;
  /**
   * Stops sync (every pending operation is in the database first, to be
   * sent by the next start), flushes every change, then closes the database. Idempotent: later calls
   * return the first call's promise. If a flush fails after its retries the
   * database is still closed and the promise rejects with the flush error
   * (its `changes` are the ones not written) — never a silent loss. With
   * `timeoutMs`, gives up waiting for delivery when it expires: rejects with a
   * `FlushError` `CLOSE_TIMEOUT` whose `changes` are the undelivered ones
   * (also reported through the engine's `error` event); the engine is
   * destroyed and the database closes as soon as its pending operation ends.
   * Dead letters do not hold `close()` up; they stay readable through
   * `flushEngine.getDeadLetters()`.
   */
  close(options?: CloseOptions): Promise<void>;
}

/**
 * Flush settings `createKalphite` starts from, because its target is PGlite:
 * each batch is one SQL statement with a fixed cost, so bigger batches carry
 * more rows per statement (the engine's own default of 100 reached 76 % of a
 * raw batched upsert's throughput in the bench, 1,000 reached 94 %).
 * `options.flush` overrides them.
 */
export const PGLITE_FLUSH_DEFAULTS = { maxBatchSize: 1000 } as const satisfies KalphiteFlushOptions;

/** Codes of the errors `createKalphite` throws itself (the layers throw their own). */
export const KalphiteConfigErrorCode = {
  /** The options are missing, contradictory or of the wrong type. */
  InvalidConfig: "INVALID_CONFIG",
} as const;

function invalid(message: string): KalphiteError<"INVALID_CONFIG"> {
  return new KalphiteError(KalphiteConfigErrorCode.InvalidConfig, `createKalphite: ${message}`);
}

function checkOptions(options: unknown): asserts options is KalphiteOptions<EntitySchema> {
  if (typeof options !== "object" || options === null) throw invalid("options must be an object: { schema, dataDir } or { schema, dbName }");
  const { schema, dbName, dataDir, flush, store, db, onInvalid, sync } = options as Record<string, unknown>;
  if (sync !== undefined) checkSyncOptions(sync);
  if (onInvalid !== undefined && onInvalid !== "skip" && onInvalid !== "throw" && typeof onInvalid !== "function") {
    throw invalid(`options.onInvalid must be "skip", "throw" or a function, got ${JSON.stringify(onInvalid)}`);
  }
  const standard = (schema as { "~standard"?: { validate?: unknown } } | null | undefined)?.["~standard"];
  if (typeof standard?.validate !== "function") {
    throw invalid("options.schema must be a Standard Schema (a Zod, Valibot or ArkType schema of your entities)");
  }
  if ((dbName === undefined) === (dataDir === undefined)) {
    throw invalid(dbName === undefined ? "give options.dataDir (a directory) or options.dbName" : "give options.dataDir or options.dbName, not both");
  }
  for (const [name, value] of [["dbName", dbName], ["dataDir", dataDir]] as const) {
    if (value !== undefined && (typeof value !== "string" || value.trim() === "")) throw invalid(`options.${name} must be a non-empty string`);
  }
  if (typeof dataDir === "string" && /^[a-z][a-z0-9+.-]*:\/\//i.test(dataDir)) {
    throw invalid(`options.dataDir is a directory path, got ${JSON.stringify(dataDir)}; use options.dbName for "memory://" or "idb://…"`);
  }
  for (const [name, value] of [["flush", flush], ["store", store], ["db", db]] as const) {
    if (value !== undefined && (typeof value !== "object" || value === null)) throw invalid(`options.${name} must be an object`);
  }
  if (flush !== undefined && "flushTarget" in (flush as object)) {
    throw invalid("options.flush.flushTarget cannot be set: createKalphite flushes into its database");
  }
  if (store !== undefined && "sink" in (store as object)) throw invalid("options.store.sink cannot be set: the flush engine is the sink");
  for (const key of ["dbName", "schema"]) {
    if (db !== undefined && key in (db as object)) throw invalid(`options.db.${key} cannot be set: use options.${key === "dbName" ? "dbName or options.dataDir" : "schema"}`);
  }
}

/**
 * Creates a Kalphite instance: opens (creating when missing) the local
 * database, builds a flush engine that writes into it and a store whose
 * changes go to the flush engine, loads every stored entity into the store,
 * and resolves once the store is ready for synchronous reads and writes.
 *
 * @throws KalphiteError `INVALID_CONFIG` (synchronously checked, before
 *   anything is opened) for bad options; the layers' errors otherwise (the
 *   database is closed again when opening or loading fails).
 *
 * @example
 * const app = await createKalphite({ schema: Entity, dataDir: "./data" });
 * app.store.todo.upsert("t1", { title: "Ship it", done: false });
 * await app.close();
 */
export async function createKalphite<TSchema extends EntitySchema, TMutators extends Record<string, ClientMutator> = NoMutators>(
  options: KalphiteOptions<TSchema, TMutators>,
): Promise<Kalphite<InferEntity<TSchema>, TMutators>> {
  checkOptions(options);
  // A dataDir is a plain path (checked above), which is exactly what dbName means for a directory.
  const db = new FrontendDatabase({ ...options.db, dbName: options.dataDir ?? options.dbName!, schema: options.schema });
  const flushEngine = new MemoryFlushEngine({ ...PGLITE_FLUSH_DEFAULTS, ...options.flush, flushTarget: createFlushTarget(db) });
  const store = KalphiteStore(options.schema, { ...options.store, sink: flushEngine }) as unknown as KalphiteStore<InferEntity<TSchema>>;
  const policy = options.onInvalid ?? "skip";
  let invalidRows: readonly InvalidEntity[];
  let started: StartedSync | undefined;
  try {
    await db.init();
    ({ invalid: invalidRows } = await hydrate(store, db, { onInvalid: policy === "throw" ? "throw" : "skip" }));
    if (typeof policy === "function" && invalidRows.length > 0) policy(invalidRows);
    if (options.sync) started = await startSync(store as unknown as KalphiteStore<BaseEntity>, db, options.sync);
  } catch (error) {
    flushEngine.destroy();
    await db.close().catch(() => undefined);
    throw error;
  }
  let closing: Promise<void> | undefined;
  const close = async (closeOptions?: CloseOptions) => {
    try {
      // Sync first: what it still writes into the store (a last rebase) is flushed below.
      await started?.close().catch((error: unknown) => console.error("[kalphite] stopping sync:", error));
      await flushEngine.close(closeOptions);
    } catch (error) {
      if (error instanceof FlushError && error.code === FlushErrorCode.InvalidArgument) {
        closing = undefined; // a bad timeoutMs: nothing happened, the app stays open
        throw error;
      }
      flushEngine.destroy();
      if (error instanceof FlushError && error.code === FlushErrorCode.CloseTimeout) {
        // A hung target call holds the database's queue: do not wait for it again.
        void db.close().catch(() => undefined);
        throw error;
      }
      await db.close();
      throw error;
    }
    await db.close();
  };
  return {
    store,
    db,
    flushEngine,
    invalid: invalidRows,
    sync: started?.sync,
    mutate: (started?.mutate ?? {}) as KalphiteMutate<TMutators>,
    close: (closeOptions) => (closing ??= close(closeOptions)),
  };
}

const CLIENT_ID_KEY = "kalphite:sync:clientId";

/** Starts sync on an open, hydrated instance; the replica's client id is kept in the database. */
async function startSync(store: KalphiteStore<BaseEntity>, db: FrontendDatabase, sync: KalphiteSyncOptions<Record<string, ClientMutator>>): Promise<StartedSync> {
  const reportError = (error: unknown) => {
    // Network trouble while offline is the normal case; listeners of sync.onError hear the rest.
    if (typeof process !== "undefined" && process.env?.["KALPHITE_DEBUG"]) console.error("[kalphite sync]", error);
  };
  if ((sync.mode ?? "operations") === "entities") return startEntitySync(store, db, sync, reportError);
  let clientId = await db.getMeta<string>(CLIENT_ID_KEY);
  if (typeof clientId !== "string" || clientId === "") {
    clientId = `c-${globalThis.crypto.randomUUID()}`;
    await db.setMeta(CLIENT_ID_KEY, clientId);
  }
  return startOperationSync(store, db, sync, clientId, reportError);
}
