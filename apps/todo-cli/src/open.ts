import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import envPaths from "env-paths";
import type { Kalphite } from "kalphite";
import { TodoError, TodoErrorCode, describeError } from "./errors";
import type { DataDirLock } from "./lock";
import type { AppEntity } from "./schema";
import type { CommandServer, Gate } from "./serve";
import { delayedSpinner } from "./spinner";

/** The app's Kalphite instance: store, database, flush engine. */
export type TodoApp = Kalphite<AppEntity>;

/** An open data directory: the Kalphite instance, the directory's lock, the server for other processes. */
export interface OpenData {
  readonly app: TodoApp;
  readonly dataDir: string;
  readonly lock: DataDirLock;
  /** One command at a time against this data (the shell's lines, served commands). */
  readonly gate: Gate;
  /**
   * Stops serving other processes (waiting for the commands they sent),
   * flushes every write, closes the database, releases the lock. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Where the data lives: `--data-dir`, else `KALPHITE_TODO_DIR`, else the
 * user's data directory (`~/.local/share/kalphite-todo` on Linux,
 * `~/Library/Application Support/kalphite-todo` on macOS,
 * `%LOCALAPPDATA%\kalphite-todo\Data` on Windows). Returned absolute.
 */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv, cwd = process.cwd()): string {
  const chosen = flag ?? env["KALPHITE_TODO_DIR"];
  if (chosen !== undefined && chosen.trim() === "") {
    throw new TodoError(TodoErrorCode.InvalidInput, "the data directory must not be empty");
  }
  return resolve(cwd, chosen ?? envPaths("kalphite-todo", { suffix: "" }).data);
}

const readOnlyHelp = (dir: string) => `make it writable (chmod -R u+w ${dir}) or choose another one with --data-dir`;

/**
 * Creates the data directory (mode 0700) when missing; refuses a file in its
 * place. Private from then on: the process's umask is 077, so every file
 * PGlite writes is 0600 and every directory 0700.
 * @throws TodoError `INVALID_INPUT` for a file, `IO` when it cannot be created
 */
export function prepareDataDir(dataDir: string): void {
  if (existsSync(dataDir) && !statSync(dataDir).isDirectory()) {
    throw new TodoError(TodoErrorCode.InvalidInput, `the data directory ${dataDir} is a file, not a directory`);
  }
  process.umask(0o077);
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "EACCES" || code === "EROFS" || code === "EPERM" ? " (its parent is read-only for you)" : "";
    throw new TodoError(TodoErrorCode.Io, `cannot create the data directory ${dataDir}${why}: ${describeError(error)}`, { cause: error });
  }
}

/**
 * Checks the data directory before PGlite sees it (PGlite reports a
 * read-only file as `Aborted()`), and makes a directory written by an older
 * version private: group and other permissions are taken away, files become
 * 0600 and directories 0700. A file or directory without the owner's write
 * permission is refused with a clear message. (A thousand files cost a few
 * milliseconds, against PGlite's hundreds to open.)
 */
function checkAndPrivatize(dir: string, root: string): void {
  const info = statSync(dir);
  if ((info.mode & 0o200) === 0) throw new TodoError(TodoErrorCode.Io, `the data directory ${dir === root ? root : `${root} holds ${dir}, which`} is read-only; ${readOnlyHelp(root)}`);
  if ((info.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      checkAndPrivatize(path, root);
      continue;
    }
    if (!entry.isFile()) continue;
    const file = statSync(path);
    if ((file.mode & 0o200) === 0) throw new TodoError(TodoErrorCode.Io, `the data directory ${root} holds a read-only file (${path}); ${readOnlyHelp(root)}`);
    if ((file.mode & 0o077) !== 0) chmodSync(path, file.mode & 0o700);
  }
}

/**
 * Opens (creating on first use) the todo database in `dataDir`, which this
 * process holds (`lock`): opens PGlite and hydrates the store, serving other
 * processes' commands through `server` once the lock is released by
 * `close()`. Shows a progress line on stderr on a terminal when opening takes
 * more than half a second (first-run creation does).
 */
export async function openData(dataDir: string, lock: DataDirLock, server: CommandServer, gate: Gate): Promise<OpenData> {
  // A lock file of versions before the lock moved beside the directory.
  rmSync(join(dataDir, "kalphite-todo.lock"), { force: true });
  try {
    checkAndPrivatize(dataDir, dataDir);
  } catch (error) {
    await server.stop();
    lock.release();
    throw error;
  }
  const fresh = !existsSync(join(dataDir, "PG_VERSION"));
  const progress = delayedSpinner(fresh ? `Creating a new todo database in ${dataDir}…` : "Opening the todo database…");
  let app: TodoApp;
  try {
    const [{ createKalphite }, { EntitySchema }, { openTodoKalphite }] = await Promise.all([import("kalphite"), import("./schema"), import("./sync/session")]);
    // Synced when --sync or `sync connect` says so (see sync/session.ts).
    app = await openTodoKalphite(createKalphite, EntitySchema, dataDir);
  } catch (error) {
    await server.stop();
    lock.release();
    throw new TodoError(TodoErrorCode.Io, `cannot open the todo database in ${dataDir}: ${describeError(error)}`, { cause: error });
  } finally {
    progress.stop();
  }
  // PGlite writes a new database's files with mode 0666 whatever the umask: take group and other access away.
  if (fresh) checkAndPrivatize(dataDir, dataDir);
  let closing: Promise<void> | undefined;
  return {
    app,
    dataDir,
    lock,
    gate,
    close: () =>
      (closing ??= (async () => {
        try {
          await server.stop();
          await (await import("./sync/session")).finishTodoSync(app);
          await app.close();
          // Files PGlite wrote meanwhile (the relation cache, pg_internal.init, is 0644) become private too.
          try {
            checkAndPrivatize(dataDir, dataDir);
          } catch {
            // Became read-only meanwhile: reported on the next open.
          }
        } finally {
          lock.release();
        }
      })()),
  };
}
