import { existsSync, mkdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import envPaths from "env-paths";
import { createKalphite, type Kalphite } from "kalphite";
import { TodoError, TodoErrorCode, describeError } from "./errors";
import { lockDataDir, type DataDirLock } from "./lock";
import { EntitySchema, type AppEntity } from "./schema";
import { delayedSpinner } from "./spinner";

/** The app's Kalphite instance: store, database, flush engine. */
export type TodoApp = Kalphite<AppEntity>;

/** An open data directory: the Kalphite instance and the directory's lock. */
export interface OpenData {
  readonly app: TodoApp;
  readonly dataDir: string;
  readonly lock: DataDirLock;
  /** Flushes every write, closes the database, releases the lock. Idempotent. */
  close(): Promise<void>;
}

/**
 * Where the data lives: `--data-dir`, else `KALPHITE_TODO_DIR`, else the
 * user's data directory (`~/.local/share/kalphite-todo` on Linux,
 * `~/Library/Application Support/kalphite-todo` on macOS,
 * `%LOCALAPPDATA%\kalphite-todo\Data` on Windows). Returned absolute.
 */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const chosen = flag ?? env["KALPHITE_TODO_DIR"];
  if (chosen !== undefined && chosen.trim() === "") {
    throw new TodoError(TodoErrorCode.InvalidInput, "the data directory must not be empty");
  }
  return resolve(chosen ?? envPaths("kalphite-todo", { suffix: "" }).data);
}

/**
 * Opens (creating on first use) the todo database in `dataDir`: locks the
 * directory, opens PGlite and hydrates the store. Shows a spinner on stderr
 * only when that takes more than half a second (first-run creation does).
 */
export async function openData(dataDir: string): Promise<OpenData> {
  if (existsSync(dataDir) && !statSync(dataDir).isDirectory()) {
    throw new TodoError(TodoErrorCode.InvalidInput, `the data directory ${dataDir} is a file, not a directory`);
  }
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw new TodoError(TodoErrorCode.Io, `cannot create the data directory ${dataDir}: ${describeError(error)}`, { cause: error });
  }
  const lock = lockDataDir(dataDir);
  const fresh = !existsSync(join(dataDir, "PG_VERSION"));
  const progress = delayedSpinner(fresh ? `Creating a new todo database in ${dataDir}…` : "Opening the todo database…");
  let app: TodoApp;
  try {
    app = await createKalphite({ schema: EntitySchema, dataDir });
  } catch (error) {
    lock.release();
    throw new TodoError(TodoErrorCode.Io, `cannot open the todo database in ${dataDir}: ${describeError(error)}`, { cause: error });
  } finally {
    progress.stop();
  }
  let closing: Promise<void> | undefined;
  return {
    app,
    dataDir,
    lock,
    close: () =>
      (closing ??= app.close().finally(() => lock.release())),
  };
}
