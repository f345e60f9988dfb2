import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { TodoError, TodoErrorCode } from "./errors";

/** The lock file's name inside the data directory. */
export const LOCK_FILE = "kalphite-todo.lock";

/** A held lock; `release()` is idempotent. */
export interface DataDirLock {
  release(): void;
  /** Writes the lock again (after a restore replaced the directory's files). */
  refresh(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function tryCreate(path: string): boolean {
  try {
    const fd = openSync(path, "wx");
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/**
 * Takes the data directory for this process. PGlite is single-process: two
 * processes writing one directory would corrupt it, so a second
 * `kalphite-todo` (say, while the shell is open) gets a clear error instead.
 * A lock left by a process that no longer runs is taken over.
 * @throws TodoError `CONFLICT` naming the process that holds the directory
 */
export function lockDataDir(dir: string): DataDirLock {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    if (tryCreate(path)) break;
    let holder = Number.NaN;
    try {
      holder = Number.parseInt(readFileSync(path, "utf8"), 10);
    } catch {
      // Vanished in between: try again.
    }
    if (Number.isInteger(holder) && holder !== process.pid && alive(holder)) {
      throw new TodoError(
        TodoErrorCode.Conflict,
        `the data directory ${dir} is in use by another kalphite-todo (pid ${holder}); exit it and try again (if none is running, delete ${path})`,
      );
    }
    try {
      unlinkSync(path);
    } catch {
      // Someone else removed the stale lock first.
    }
    if (attempt === 1) throw new TodoError(TodoErrorCode.Conflict, `could not lock the data directory ${dir}`);
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      try {
        unlinkSync(path);
      } catch {
        // Already gone (the directory was removed): nothing to release.
      }
    },
    refresh() {
      if (!held) return;
      try {
        unlinkSync(path);
      } catch {
        // Not there: write it below.
      }
      tryCreate(path);
    },
  };
}
