import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TodoError, TodoErrorCode } from "../errors";

/** The sync modes: operations (`@kalphite/sync-ops`, the shared mutators) or entities (`@kalphite/sync-ws`). */
export const SYNC_MODES = ["operations", "entities"] as const;

/** One of `SYNC_MODES`. */
export type SyncMode = (typeof SYNC_MODES)[number];

/** What `sync connect` remembers (and `--sync` gives for one run). */
export interface SyncSettings {
  readonly url: string;
  /** @default "operations" */
  readonly mode: SyncMode;
  readonly token?: string | undefined;
  readonly room?: string | undefined;
}

/** The file in the data directory that remembers `sync connect`. */
export const SYNC_FILE = "kalphite-sync.json";

/** Checks a server URL (`http(s)://host:port`); returns it without a trailing slash. @throws TodoError `INVALID_INPUT` */
export function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TodoError(TodoErrorCode.InvalidInput, `not a server URL: ${JSON.stringify(url)} (e.g. http://127.0.0.1:8787)`);
  }
  if (!["http:", "https:", "ws:", "wss:"].includes(parsed.protocol)) throw new TodoError(TodoErrorCode.InvalidInput, `the sync server URL must start with http:// or https:// (got ${JSON.stringify(url)})`);
  return url.replace(/\/+$/, "");
}

/** Checks `--sync-mode`. @throws TodoError `INVALID_INPUT` */
export function checkMode(mode: string): SyncMode {
  const found = SYNC_MODES.find((m) => m === mode.trim().toLowerCase());
  if (!found) throw new TodoError(TodoErrorCode.InvalidInput, `--sync-mode must be ${SYNC_MODES.join(" or ")} (got ${JSON.stringify(mode)})`);
  return found;
}

/** The remembered settings of `dataDir`, or `undefined` (sync off). A damaged file is reported, not guessed at. */
export function readSyncSettings(dataDir: string): SyncSettings | undefined {
  const path = join(dataDir, SYNC_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const raw = JSON.parse(readFileSync(path, "utf8")) as Partial<SyncSettings>;
    if (typeof raw.url !== "string") throw new Error("no url");
    return {
      url: checkUrl(raw.url),
      mode: checkMode(raw.mode ?? "operations"),
      ...(typeof raw.token === "string" ? { token: raw.token } : {}),
      ...(typeof raw.room === "string" ? { room: raw.room } : {}),
    };
  } catch (error) {
    throw new TodoError(TodoErrorCode.InvalidInput, `${path} is damaged (${error instanceof Error ? error.message : String(error)}): run kalphite-todo sync off, then sync connect <url>`);
  }
}

/** Remembers `settings` in `dataDir` (mode 0600: it may hold a token). */
export function writeSyncSettings(dataDir: string, settings: SyncSettings): void {
  writeFileSync(join(dataDir, SYNC_FILE), `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
}

/** Forgets the remembered settings; returns whether there were any. */
export function removeSyncSettings(dataDir: string): boolean {
  const path = join(dataDir, SYNC_FILE);
  const had = existsSync(path);
  rmSync(path, { force: true });
  return had;
}
