import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, type Stats } from "node:fs";
import { mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import { connect, createServer, type Server, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { TodoError, TodoErrorCode, describeError } from "./errors";
import { endpointOf, lockDirOf } from "./lock-path";

export { endpointOf, lockDirOf } from "./lock-path";

/**
 * How long a lock directory without a listening holder counts as "being set
 * up" rather than abandoned (the holder listens within milliseconds of
 * creating it; a dead holder's pid is recognised at once). @default 3000
 */
export const STARTUP_GRACE_MS = 3000;

/** How long a takeover guard may be held before it counts as abandoned. @default 10000 */
export const TAKEOVER_GUARD_STALE_MS = 10_000;

/** What the holder records in its lock directory. */
export interface LockOwner {
  readonly pid: number;
  readonly endpoint: string;
  readonly since: number;
}

/** A held data directory: its lock directory and the socket this process serves on. */
export interface DataDirLock {
  /** The lock directory (beside the data directory). */
  readonly lockDir: string;
  /** The local socket (a named pipe on Windows) other processes send commands to. */
  readonly endpoint: string;
  /**
   * Hands every connection to `handler`, including those that arrived
   * before (they wait). Call once.
   */
  serve(handler: (socket: Socket) => void): void;
  /** Removes the lock, then stops listening. Idempotent. Call only after the database is closed. */
  release(): void;
}

/** The outcome of `acquireDataDir`: this process holds the directory, or a live process does. */
export type Acquired =
  | { readonly held: true; readonly lock: DataDirLock }
  | { readonly held: false; readonly endpoint: string; readonly pid: number | undefined };

function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const info = statSync(dir);
  const uid = process.getuid?.();
  if ((uid !== undefined && info.uid !== uid) || (info.mode & 0o077) !== 0) {
    throw new TodoError(TodoErrorCode.Io, `${dir} must be a directory only you can open (mode 0700, owned by you)`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the pid exists but is someone else's process (which is not a holder of our directory either, but say alive: unknown).
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether something answers on `endpoint` (connect succeeds). */
export function probeEndpoint(endpoint: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(endpoint);
    const done = (answer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    // A holder too busy to accept still has the connection queued by the kernel: only refusal means nobody listens.
    const timer = setTimeout(() => done(true), timeoutMs);
    socket.once("connect", () => done(true));
    socket.once("error", (error: NodeJS.ErrnoException) => done(!["ECONNREFUSED", "ENOENT", "ENOTSOCK", "ENOTDIR"].includes(error.code ?? "")));
  });
}

type Probe =
  | { readonly state: "gone" }
  | { readonly state: "live"; readonly owner: LockOwner | undefined }
  | { readonly state: "starting" }
  | { readonly state: "stale"; readonly ino: number };

async function readOwner(lockDir: string): Promise<{ owner: LockOwner; stats: Stats } | undefined> {
  try {
    const file = join(lockDir, "owner.json");
    const [text, stats] = await Promise.all([readFile(file, "utf8"), stat(file)]);
    const owner = JSON.parse(text) as LockOwner;
    if (typeof owner.pid !== "number" || typeof owner.endpoint !== "string") return undefined;
    return { owner, stats };
  } catch {
    return undefined;
  }
}

/**
 * What a lock directory holds: nothing (`gone`), a holder that answers on
 * its socket (`live`), one being set up (`starting`: young, not listening
 * yet), or an abandoned lock (`stale`). Liveness is decided by the socket,
 * never by a pid alone: a reused pid of an unrelated process does not answer.
 */
async function probeLock(lockDir: string, graceMs: number): Promise<Probe> {
  let dirStats: Stats;
  try {
    dirStats = await stat(lockDir);
  } catch {
    return { state: "gone" };
  }
  const found = await readOwner(lockDir);
  const endpoint = found?.owner.endpoint ?? endpointOf(lockDir);
  if (await probeEndpoint(endpoint)) return { state: "live", owner: found?.owner };
  if (found && !pidAlive(found.owner.pid)) return { state: "stale", ino: dirStats.ino };
  const since = found?.stats.mtimeMs ?? dirStats.mtimeMs;
  if (Date.now() - since < graceMs) return { state: "starting" };
  return { state: "stale", ino: dirStats.ino };
}

/**
 * Removes an abandoned lock, race-free: only under the takeover guard (a
 * second directory, taken with mkdir), and only when, probed again under the
 * guard, it is still the same stale lock. Two processes taking over at once:
 * one removes it, the other finds it gone or fresh; then both race on mkdir,
 * which exactly one wins.
 */
async function takeOver(lockDir: string, seenIno: number, graceMs: number): Promise<void> {
  const guard = `${lockDir}.takeover`;
  try {
    await mkdir(guard);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    // Someone is taking over right now; a guard left by a process that died in those milliseconds is cleared after a while.
    const info = await stat(guard).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > TAKEOVER_GUARD_STALE_MS) await rm(guard, { recursive: true, force: true });
    await sleep(10);
    return;
  }
  try {
    const again = await probeLock(lockDir, graceMs);
    if (again.state !== "stale" || again.ino !== seenIno) return;
    const retired = `${lockDir}.stale-${randomBytes(6).toString("hex")}`;
    await rename(lockDir, retired);
    await rm(retired, { recursive: true, force: true });
  } finally {
    await rm(guard, { recursive: true, force: true });
  }
}

function listen(endpoint: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(endpoint, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

async function becomeHolder(lockDir: string): Promise<DataDirLock> {
  const endpoint = endpointOf(lockDir);
  let server: Server;
  try {
    if (process.platform !== "win32" && dirname(endpoint) !== lockDir) {
      ensurePrivateDir(dirname(endpoint));
      // We hold the lock, so a socket file left there is a dead holder's.
      rmSync(endpoint, { force: true });
    }
    server = await listen(endpoint);
  } catch (error) {
    rmSync(lockDir, { recursive: true, force: true });
    throw new TodoError(TodoErrorCode.Io, `cannot listen on ${endpoint} for other kalphite-todo processes: ${describeError(error)}`, { cause: error });
  }
  const owner: LockOwner = { pid: process.pid, endpoint, since: Date.now() };
  const ownerFile = join(lockDir, "owner.json");
  writeFileSync(`${ownerFile}.tmp`, JSON.stringify(owner), { mode: 0o600 });
  renameSync(`${ownerFile}.tmp`, ownerFile);
  const waiting: Socket[] = [];
  let handler: ((socket: Socket) => void) | undefined;
  server.on("connection", (socket) => (handler ? handler(socket) : waiting.push(socket)));
  let released = false;
  return {
    lockDir,
    endpoint,
    serve(next) {
      handler = next;
      for (const socket of waiting.splice(0)) next(socket);
    },
    release() {
      if (released) return;
      released = true;
      // The lock goes first: until it is gone, contenders connect, are told to retry, and never see it as stale.
      try {
        const retired = `${lockDir}.released-${randomBytes(6).toString("hex")}`;
        renameSync(lockDir, retired);
        rmSync(retired, { recursive: true, force: true });
      } catch {
        // Gone already (the directory's parent was removed): nothing to release.
      }
      server.close();
      if (dirname(endpoint) !== lockDir && process.platform !== "win32") {
        try {
          unlinkSync(endpoint);
        } catch {
          // Removed by the server's close already.
        }
      }
    },
  };
}

/** Options of `acquireDataDir`. */
export interface AcquireOptions {
  /** @default STARTUP_GRACE_MS */
  readonly graceMs?: number;
  /** Give up waiting for a holder that is being set up after this long. @default 30000 */
  readonly timeoutMs?: number;
}

/**
 * Takes the data directory for this process, or finds the live process that
 * holds it. PGlite is single-process, so one process (the holder) opens the
 * database and serves every other process's commands over a local socket.
 *
 * The lock is a directory created with `mkdir` (atomic), beside the data
 * directory. A holder is alive when its socket answers; a lock whose holder
 * is dead (its pid is gone, or it stopped answering beyond the grace period)
 * is taken over under a guard (see `takeOver`), so exactly one of several
 * processes taking over at once wins.
 * @throws TodoError `IO` when the lock directory cannot be created, `CONFLICT` on timeout
 */
export async function acquireDataDir(dataDir: string, options: AcquireOptions = {}): Promise<Acquired> {
  const lockDir = lockDirOf(dataDir);
  const graceMs = options.graceMs ?? STARTUP_GRACE_MS;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(lockDir, { mode: 0o700 });
      return { held: true, lock: await becomeHolder(lockDir) };
    } catch (error) {
      if (error instanceof TodoError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "EEXIST") {
        const why = code === "EACCES" || code === "EROFS" || code === "EPERM" ? " (the directory is read-only for you)" : "";
        throw new TodoError(TodoErrorCode.Io, `cannot lock the data directory: cannot create ${lockDir}${why}: ${describeError(error)}`, { cause: error });
      }
    }
    const found = await probeLock(lockDir, graceMs);
    if (found.state === "live") return { held: false, endpoint: found.owner?.endpoint ?? endpointOf(lockDir), pid: found.owner?.pid };
    if (found.state === "stale") await takeOver(lockDir, found.ino, graceMs);
    else if (found.state === "starting") {
      if (Date.now() > deadline) {
        throw new TodoError(TodoErrorCode.Conflict, `the data directory ${dataDir} is being opened by another kalphite-todo that does not answer; if none is running, delete ${lockDir}`);
      }
      await sleep(Math.min(100, 10 + attempt * 5));
    }
  }
}

/** The holder recorded in a lock directory, if any (for messages). */
export function readLockOwner(dataDir: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(join(lockDirOf(dataDir), "owner.json"), "utf8")) as LockOwner;
  } catch {
    return undefined;
  }
}
