/**
 * Where a database lives, from its `dbName`. The kind decides how `restore()`
 * swaps data in: an in-memory or directory database is replaced whole; other
 * storage (IndexedDB, OPFS) gets its Kalphite tables replaced in place.
 */
export type StorageLocation =
  | { readonly kind: "memory"; readonly dataDir: string }
  | { readonly kind: "directory"; readonly path: string }
  | { readonly kind: "other"; readonly dataDir: string };

/** Reads `dbName`: `memory://…`, `idb://…` (or any other `scheme://`), `file://path` or a plain path. */
export function parseLocation(dbName: string): StorageLocation {
  if (dbName.startsWith("memory://")) return { kind: "memory", dataDir: dbName };
  if (dbName.startsWith("file://")) return { kind: "directory", path: decodeURIComponent(dbName.slice("file://".length)) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(dbName)) return { kind: "other", dataDir: dbName };
  return { kind: "directory", path: dbName };
}

/** The `dataDir` to hand to PGlite for this location. */
export function pgliteDataDir(location: StorageLocation): string {
  return location.kind === "directory" ? location.path : location.dataDir;
}
