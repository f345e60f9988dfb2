import { PGlite } from "@electric-sql/pglite";
import type { PGliteHandle } from "@kalphite/pglite";
import { SqlSyncStorage, type SqlDriver, type SqlRunner } from "./sql-storage";
import type { SyncStorage } from "./types";

/** Options of `createPGliteSyncStorage`. */
export interface PGliteSyncStorageOptions {
  /** A directory for the database files; in memory when absent. @default undefined (memory) */
  dataDir?: string;
  /** Use this PGlite instance instead of opening one (it is not closed by `close()`). */
  db?: PGliteHandle;
}

/**
 * The embedded server storage: PGlite in this process, in memory or in
 * `dataDir`. One connection, so transactions run one at a time (the server
 * groups concurrent pushes into one transaction for throughput).
 *
 * @example
 * const storage = await createPGliteSyncStorage({ dataDir: "./server-data" });
 */
export async function createPGliteSyncStorage(options: PGliteSyncStorageOptions = {}): Promise<SyncStorage> {
  const owned = options.db === undefined;
  const db = (options.db as PGlite | undefined) ?? (options.dataDir === undefined ? new PGlite() : new PGlite(options.dataDir));
  await db.waitReady;
  const driver: SqlDriver = {
    kind: "pglite",
    transaction: (_mode, fn) => db.transaction((tx) => fn(tx as SqlRunner)),
    close: async () => {
      if (owned) await db.close();
    },
  };
  return SqlSyncStorage.open(driver);
}
