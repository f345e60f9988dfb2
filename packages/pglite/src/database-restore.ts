import { PGlite, type Extension } from "@electric-sql/pglite";
import { selectAll, writeRows } from "./entity-sql";
import { nodeFs, recoverInterruptedRestore, writeJournal, type RecoveryOutcome, type RestoreFs } from "./restore-journal";
import { stringifyStored } from "./stored-json";
import { DatabaseError, DatabaseErrorCode, toDatabaseError } from "./errors";
import { BUILTIN_VERSION, builtinVersion } from "./migrator";
import type { StorageLocation } from "./storage-location";

/** Opens PGlite at `dataDir` (in memory when undefined), optionally from a tar archive. */
export async function openPGlite(dataDir: string | undefined, archive?: Blob): Promise<PGlite> {
  const options = {
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(archive === undefined ? {} : { loadDataDir: archive }),
  };
  return PGlite.create(options);
}

/** What `restore()` needs from the database it restores into. */
export interface RestoreHost {
  readonly location: StorageLocation;
  /** The open instance. */
  current(): PGlite;
  /** Brings a restored copy up to date: Kalphite's tables, the configured migrations and indexes. */
  prepare(pg: PGlite): Promise<void>;
  /** Makes `next` the database's instance; the caller closes the previous one. */
  adopt(next: PGlite): void;
}

/** Test seams of `restoreArchive`. */
export interface RestoreOptions {
  /** The file system of a directory restore. @default Node's `fs/promises` */
  readonly fs?: RestoreFs | undefined;
}

/**
 * Reads every table of the database completely — every relation with rows,
 * Kalphite's, your migrations' and Postgres' own catalogs, each row turned to
 * text so every TOASTed value is read too — so a damaged page surfaces here
 * (PGlite checks page headers and checksums on read) instead of after the
 * copy has replaced anything.
 */
async function readEveryTable(pg: PGlite): Promise<void> {
  const { rows } = await pg.query<{ name: string }>("SELECT c.oid::regclass::text AS name FROM pg_class c WHERE c.relkind IN ('r', 'm') AND c.relpersistence = 'p' ORDER BY c.oid");
  for (const { name } of rows) await pg.query(`SELECT coalesce(sum(octet_length(t::text)), 0) FROM ${name} AS t`);
}

/** PGlite's amcheck extension, or undefined where it cannot be loaded (then indexes are not checked). */
async function loadAmcheck(): Promise<Extension | undefined> {
  try {
    return (await import("@electric-sql/pglite/contrib/amcheck")).amcheck;
  } catch {
    return undefined;
  }
}

/** Checks every valid btree index against its table (amcheck's `bt_index_check` with `heapallindexed`). */
async function checkEveryIndex(pg: PGlite): Promise<void> {
  await pg.exec("CREATE EXTENSION IF NOT EXISTS amcheck");
  try {
    await pg.query(`SELECT bt_index_check(c.oid, true) FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
      WHERE a.amname = 'btree' AND i.indisvalid AND i.indisready AND c.relpersistence = 'p'`);
  } finally {
    await pg.exec("DROP EXTENSION IF EXISTS amcheck");
  }
}

/**
 * Opens a checked archive aside (in memory, or in `dataDir`) and checks it
 * completely: a Kalphite database this code can read, every table readable
 * to the last row, every index consistent with its table. Then runs
 * `prepare` on it.
 * @throws DatabaseError `INVALID_BACKUP`, MigrationError
 */
async function openAside(archive: Blob, dataDir: string | undefined, prepare: ((pg: PGlite) => Promise<void>) | undefined): Promise<PGlite> {
  let pg: PGlite;
  const amcheck = await loadAmcheck();
  try {
    pg = await PGlite.create({ ...(dataDir === undefined ? {} : { dataDir }), loadDataDir: archive, ...(amcheck === undefined ? {} : { extensions: { amcheck } }) });
  } catch (error) {
    throw new DatabaseError(DatabaseErrorCode.InvalidBackup, "restore(): PGlite could not open the backup; the database was left as it was", { cause: error });
  }
  try {
    const version = await builtinVersion(pg);
    if (version === 0) throw new DatabaseError(DatabaseErrorCode.InvalidBackup, "restore(): the backup is a Postgres database but not a Kalphite one (no kalphite_migrations); the database was left as it was");
    if (version > BUILTIN_VERSION) {
      throw new DatabaseError(DatabaseErrorCode.InvalidBackup, `restore(): the backup has Kalphite schema version ${version}, newer than this @kalphite/pglite (${BUILTIN_VERSION}); the database was left as it was`);
    }
    try {
      await readEveryTable(pg);
      if (amcheck !== undefined) await checkEveryIndex(pg);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new DatabaseError(DatabaseErrorCode.InvalidBackup, `restore(): the backup is damaged (${detail}); the database was left as it was`, { cause: error });
    }
    if (prepare !== undefined) await prepare(pg);
    return pg;
  } catch (error) {
    await pg.close().catch(() => undefined);
    throw toDatabaseError(error, "restore()", DatabaseErrorCode.InvalidBackup);
  }
}

/** In memory: the restored instance replaces the current one. */
async function restoreInMemory(host: RestoreHost, archive: Blob): Promise<void> {
  const next = await openAside(archive, undefined, (pg) => host.prepare(pg));
  const previous = host.current();
  host.adopt(next);
  await previous.close().catch(() => undefined);
}

/**
 * Opens the swapped-in directory and reads it back whole; closes it again
 * when that fails.
 */
async function openAndRead(target: string): Promise<PGlite> {
  const pg = await openPGlite(target);
  try {
    if ((await builtinVersion(pg)) === 0) throw new Error("the swapped-in directory holds no Kalphite tables");
    await readEveryTable(pg);
    return pg;
  } catch (error) {
    await pg.close().catch(() => undefined);
    throw error;
  }
}

/**
 * In a directory: the archive is opened, checked and migrated in a sibling
 * staging directory; then, under a journal (see restore-journal.ts), the
 * directories are swapped by rename and the result is opened and read back
 * whole before the original is removed. A failure at any step puts the
 * original back; a crash is recovered on the next open.
 */
async function restoreDirectory(host: RestoreHost, archive: Blob, path: string, fs: RestoreFs): Promise<void> {
  const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const target = path.replace(/[\\/]+$/, "");
  const staging = `${target}.kalphite-restore-${suffix}`;
  const retired = `${target}.kalphite-retired-${suffix}`;
  try {
    const staged = await openAside(archive, staging, (pg) => host.prepare(pg));
    await staged.close();
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
  await writeJournal(fs, target, staging, retired, "swapping");
  await host.current().close();
  let next: PGlite | undefined;
  try {
    await fs.rename(target, retired);
    await fs.rename(staging, target);
    next = await openAndRead(target);
    host.adopt(next);
    // The restore is complete from here on: a crash now keeps the restored data.
    await writeJournal(fs, target, staging, retired, "committed");
  } catch (error) {
    // Put the original back (the journal's recovery does exactly that) and reopen it.
    try {
      await next?.close().catch(() => undefined);
      await recoverInterruptedRestore(target, fs);
      host.adopt(await openPGlite(target));
    } catch (undoError) {
      throw new DatabaseError(
        DatabaseErrorCode.RestoreFailed,
        `restore(): the restored data could not be swapped into ${target}, and putting the original back failed too (${undoError instanceof Error ? undoError.message : String(undoError)}); the original is in ${retired} and the next open puts it back`,
        { cause: error },
      );
    }
    throw new DatabaseError(DatabaseErrorCode.RestoreFailed, `restore(): the restored data could not be swapped into ${target} and read back; the database was left as it was`, { cause: error });
  }
  // Removes the retired original and the journal; if that fails, the next open finishes it.
  await recoverInterruptedRestore(target, fs).catch(() => undefined);
}

/**
 * Elsewhere (IndexedDB, OPFS), where the storage cannot be swapped from
 * here: the backup is opened in memory, checked, and its entities and
 * metadata replace this database's in one transaction. Tables created by
 * application migrations are not copied in this mode.
 */
async function restoreByCopy(host: RestoreHost, archive: Blob): Promise<void> {
  const source = await openAside(archive, undefined, undefined);
  let entities;
  let meta: { key: string; value: string }[] = [];
  try {
    entities = await selectAll(source);
    if ((await source.query<{ present: boolean }>("SELECT to_regclass('kalphite_meta') IS NOT NULL AS present")).rows[0]?.present) {
      meta = (await source.query<{ key: string; value: string }>("SELECT key, value::text AS value FROM kalphite_meta")).rows;
    }
  } finally {
    await source.close().catch(() => undefined);
  }
  // Keys and values stay in stored form: parsed without decoding, written back as they were.
  const metaJson = meta.length > 0 ? JSON.stringify(Object.fromEntries(meta.map(({ key, value }) => [key, JSON.parse(value) as unknown]))) : undefined;
  await host.current().transaction(async (tx) => {
    await tx.exec("DELETE FROM kalphite_entities; DELETE FROM kalphite_meta;");
    await writeRows(tx, { entitiesJson: entities.length > 0 ? stringifyStored(entities) : undefined, deletes: [], meta: { setJson: metaJson, deleteKeys: [] } }, { measure: false });
  });
}

/**
 * Replaces the database's contents with a checked archive (see
 * `readBackupArchive`). On any failure the database is left as it was.
 */
export async function restoreArchive(host: RestoreHost, archive: Blob, options: RestoreOptions = {}): Promise<void> {
  const { location } = host;
  if (location.kind === "memory") return restoreInMemory(host, archive);
  if (location.kind === "directory") return restoreDirectory(host, archive, location.path, options.fs ?? (await nodeFs()));
  return restoreByCopy(host, archive);
}

/**
 * Before a directory database opens: finishes or undoes a restore a crash
 * interrupted (see restore-journal.ts).
 */
export async function recoverDirectory(path: string, options: RestoreOptions = {}): Promise<RecoveryOutcome> {
  return recoverInterruptedRestore(path.replace(/[\\/]+$/, ""), options.fs ?? (await nodeFs()));
}
