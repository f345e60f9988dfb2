// Helpers of the end-to-end tests: build the real binary when its sources
// changed, make data directories, run `kalphite-todo` as a child process.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const appDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const root = join(appDir, "..", "..");

/** The built binary the tests run. */
export const CLI = join(appDir, "dist", "cli.js");

/** The fixed "now" of every run: Thursday 15 January 2026, 10:00 local time. */
export const NOW = "2026-01-15T10:00:00";

const SOURCES = ["packages/store/src", "packages/flush/src", "packages/pglite/src", "packages/sync-ws/src", "packages/sync-ops/src", "packages/transactions/src", "packages/coordinator/src", "packages/todo-model/src", "packages/kalphite/src", "apps/todo-cli/src"];

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (!/\.test(-d)?\.ts$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Runs `fn` holding a cross-process lock (test files run in parallel workers). */
async function withLock<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  const lock = join(tmpdir(), `kalphite-todo-e2e-${name}.lock`);
  for (let waited = 0; ; waited += 100) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than 5 minutes belongs to a crashed run.
      if (waited > 300_000 || Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Builds `dist/cli.js` with tsup when it is missing or older than any source it bundles. */
export async function ensureBuilt(): Promise<void> {
  await withLock("build", () => {
    const built = existsSync(CLI) ? statSync(CLI).mtimeMs : 0;
    if (SOURCES.every((dir) => newestSource(join(root, dir)) < built)) return;
    const tsup = join(root, "node_modules", "tsup", "dist", "cli-default.js");
    const result = spawnSync(process.execPath, [tsup], { cwd: appDir, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`building kalphite-todo failed:\n${result.stdout}\n${result.stderr}`);
  });
}

/** A new empty temporary directory. */
export function tempDir(prefix = "kalphite-todo-e2e-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** What a run printed and how it ended. */
export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of `run`. */
export interface RunOptions {
  readonly dataDir?: string;
  readonly env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed. */
  readonly input?: string;
  /** Called with the child as soon as it is spawned (to signal it, feed it slowly…). */
  readonly onSpawn?: (child: import("node:child_process").ChildProcessWithoutNullStreams) => void;
}

/**
 * Runs the real binary (`node dist/cli.js …args`) with `--data-dir` when
 * given, `NO_COLOR=1` and the fixed clock, and resolves when it exits.
 */
export function run(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", KALPHITE_TODO_NOW: NOW, FORCE_COLOR: undefined, KALPHITE_TODO_DIR: undefined, COLUMNS: undefined };
  Object.assign(env, options.env);
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const argv = options.dataDir === undefined ? [...args] : ["--data-dir", options.dataDir, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...argv], { env: env as NodeJS.ProcessEnv, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    if (options.input !== undefined) child.stdin.end(options.input);
    else if (!options.onSpawn) child.stdin.end();
    options.onSpawn?.(child);
  });
}

let template: string | undefined;

/**
 * A data directory holding an empty, initialised database: a copy of one
 * made once (PGlite's first-run set-up takes seconds; copying takes
 * milliseconds). The first creation is itself a test of a fresh start.
 */
export async function freshDataDir(): Promise<string> {
  template ??= await withLock("template", async () => {
    const dir = join(tmpdir(), `kalphite-todo-e2e-template-${Math.floor(statSync(CLI).mtimeMs)}`);
    if (!existsSync(join(dir, "PG_VERSION"))) {
      rmSync(dir, { recursive: true, force: true });
      const result = await run(["stats"], { dataDir: dir });
      if (result.code !== 0) throw new Error(`first run failed: ${result.stderr}`);
    }
    return dir;
  });
  const dir = tempDir();
  cpSync(template, dir, { recursive: true });
  return dir;
}

/** Strips ANSI escape codes. */
export const plain = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
