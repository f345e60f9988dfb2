import { PGlite } from "@electric-sql/pglite";
import { selectAll, writeRows } from "./entity-sql";
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
  /** Runs the configured migrations and indexes on a restored copy. */
  prepare(pg: PGlite): Promise<void>;
  /** Makes `next` the database's instance; the caller closes the previous one. */
  adopt(next: PGlite): void;
}

/**
 * Opens a checked archive aside (in memory, or in `dataDir`), verifies it is
 * a Kalphite database this code can read and runs `prepare` on it.
 * @throws DatabaseError `INVALID_BACKUP`, MigrationError
 */
async function openAside(archive: Blob, dataDir: string | undefined, prepare: ((pg: PGlite) => Promise<void>) | undefined): Promise<PGlite> {
  let pg: PGlite;
  try {
    pg = await openPGlite(dataDir, archive);
  } catch (error) {
    throw new DatabaseError(DatabaseErrorCode.InvalidBackup, "restore(): PGlite could not open the backup; the database was left as it was", { cause: error });
  }
  try {
    const version = await builtinVersion(pg);
    if (version === 0) throw new DatabaseError(DatabaseErrorCode.InvalidBackup, "restore(): the backup is a Postgres database but not a Kalphite one (no kalphite_migrations); the database was left as it was");
    if (version > BUILTIN_VERSION) {
      throw new DatabaseError(DatabaseErrorCode.InvalidBackup, `restore(): the backup has Kalphite schema version ${version}, newer than this @kalphite/pglite (${BUILTIN_VERSION}); the database was left as it was`);
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
 * In a directory: the archive is opened (and migrated) in a sibling staging
 * directory, then the directories are swapped by rename, so the directory
 * holds the restored data (surviving a reopen) and a failure midway puts the
 * original back.
 */
async function restoreDirectory(host: RestoreHost, archive: Blob, path: string): Promise<void> {
  const fs = await import("node:fs/promises");
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
  await host.current().close();
  try {
    await fs.rename(target, retired);
    await fs.rename(staging, target).catch(async (error: unknown) => {
      await fs.rename(retired, target);
      throw error;
    });
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    host.adopt(await openPGlite(target));
    throw new DatabaseError(DatabaseErrorCode.RestoreFailed, `restore(): could not swap the restored data into ${target}; the database was left as it was`, { cause: error });
  }
  let next: PGlite;
  try {
    next = await openPGlite(target);
  } catch (error) {
    // Put the original back and reopen it.
    await fs.rename(target, staging).catch(() => undefined);
    await fs.rename(retired, target);
    host.adopt(await openPGlite(target));
    throw new DatabaseError(DatabaseErrorCode.RestoreFailed, `restore(): the restored directory did not open; the database was left as it was`, { cause: error });
  }
  host.adopt(next);
  await fs.rm(retired, { recursive: true, force: true }).catch(() => undefined);
  await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
}

/**
 * Elsewhere (IndexedDB, OPFS), where the storage cannot be swapped from
 * here: the backup is opened in memory and its entities replace this
 * database's in one transaction. Tables created by application migrations are
 * not copied in this mode.
 */
async function restoreByCopy(host: RestoreHost, archive: Blob): Promise<void> {
  const source = await openAside(archive, undefined, undefined);
  let entities;
  try {
    entities = await selectAll(source);
  } finally {
    await source.close().catch(() => undefined);
  }
  await host.current().transaction(async (tx) => {
    await tx.exec("DELETE FROM kalphite_entities");
    if (entities.length > 0) await writeRows(tx, JSON.stringify(entities), [], false);
  });
}

/**
 * Replaces the database's contents with a checked archive (see
 * `readBackupArchive`). On any failure the database is left as it was.
 */
export function restoreArchive(host: RestoreHost, archive: Blob): Promise<void> {
  const { location } = host;
  if (location.kind === "memory") return restoreInMemory(host, archive);
  if (location.kind === "directory") return restoreDirectory(host, archive, location.path);
  return restoreByCopy(host, archive);
}
