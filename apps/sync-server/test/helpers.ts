// Helpers of the end-to-end tests: build the real binary when its sources
// changed, start `kalphite-server` as a child process on port 0, and clients.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Entity } from "@kalphite/store";
import { ModernSyncEngine, type StatePatch } from "@kalphite/sync-ops";
import { NetworkSyncEngine } from "@kalphite/sync-ws";

const appDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const root = join(appDir, "..", "..");

/** The built binary the tests run. */
export const SERVER_BIN = join(appDir, "dist", "cli.js");

const SOURCES = ["packages/store/src", "packages/flush/src", "packages/pglite/src", "packages/sync-ws/src", "packages/sync-ops/src", "packages/todo-model/src", "apps/sync-server/src"];

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
  const lock = join(tmpdir(), `kalphite-server-e2e-${name}.lock`);
  for (let waited = 0; ; waited += 100) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (waited > 300_000 || Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 300_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Builds `dist/cli.js` with tsup when it is missing or older than a source it bundles. */
export async function ensureBuilt(): Promise<void> {
  await withLock("build", () => {
    const built = existsSync(SERVER_BIN) ? statSync(SERVER_BIN).mtimeMs : 0;
    if (SOURCES.every((dir) => newestSource(join(root, dir)) < built)) return;
    const tsup = join(root, "node_modules", "tsup", "dist", "cli-default.js");
    const result = spawnSync(process.execPath, [tsup], { cwd: appDir, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`building kalphite-server failed:\n${result.stdout}\n${result.stderr}`);
  });
}

/** A new empty temporary directory. */
export function tempDir(prefix = "kalphite-server-e2e-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a tokens file and returns its path. */
export function writeTokens(dir: string, tokens: Record<string, { user?: string; rooms: string[] }>): string {
  const path = join(dir, "tokens.json");
  writeFileSync(path, JSON.stringify(tokens));
  return path;
}

/** A running server process. */
export interface ServerProcess {
  readonly url: string;
  readonly wsUrl: string;
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything printed on stdout so far. */
  stdout(): string;
  /** Everything printed on stderr so far. */
  stderr(): string;
  /** Resolves when stderr has a line matching `pattern`. */
  waitForLog(pattern: RegExp): Promise<string>;
  /** Resolves with the exit code (or signal) once the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (default SIGTERM) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcessWithoutNullStreams>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Spawns `kalphite-server --port 0 …args` and resolves once it printed its URL. */
export async function startServer(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [SERVER_BIN, "--port", "0", ...args], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
  running.add(child);
  let out = "";
  let err = "";
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    err += chunk;
    for (const w of [...waiters]) {
      const line = err.split("\n").find((l) => w.pattern.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(out);
      if (match) {
        child.stdout.off("data", onData);
        resolve(match[1]!);
      }
    };
    child.stdout.on("data", onData);
    void exited.then(({ code, signal }) => reject(new Error(`kalphite-server exited (${code ?? signal}) before listening:\n${err}`)));
  });
  return {
    url,
    wsUrl: `${url.replace(/^http/, "ws")}/sync/ws`,
    child,
    stdout: () => out,
    stderr: () => err,
    waitForLog: (pattern) =>
      new Promise((resolve) => {
        const line = err.split("\n").find((l) => pattern.test(l));
        if (line !== undefined) resolve(line);
        else waiters.push({ pattern, resolve });
      }),
    exited,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A `ModernSyncEngine` with its entities gathered from the state patches it applies. */
export interface OpsClient {
  readonly engine: ModernSyncEngine;
  /** Entities by `type/id`, as the pulls left them. */
  readonly entities: Map<string, Entity>;
  /** Resolves when `predicate` holds for the entities (checked after each patch). */
  until(predicate: (entities: Map<string, Entity>) => boolean): Promise<void>;
  close(): Promise<void>;
}

/** Connects a `ModernSyncEngine` to `baseUrl` (a room's base: `…/rooms/<room>` or the server URL). */
export async function opsClient(baseUrl: string, options: { token?: string; clientId?: string; transport?: "websocket" | "sse"; connect?: boolean } = {}): Promise<OpsClient> {
  const entities = new Map<string, Entity>();
  const checks = new Set<() => void>();
  const transport = options.transport ?? "websocket";
  const engine = new ModernSyncEngine({
    baseUrl,
    clientId: options.clientId ?? `c-${Math.random().toString(36).slice(2)}`,
    userId: "tester",
    ...(options.token === undefined ? {} : { authToken: options.token }),
    ...(transport === "websocket" ? { notificationUrl: `${baseUrl.replace(/^http/, "ws")}/sync/notify` } : { notificationTransport: "sse" as const }),
    pullInterval: 0,
    retryDelay: 50,
    maxRetryDelay: 500,
  });
  engine.onStatePatch((patch: StatePatch) => {
    if (patch.reset) entities.clear();
    for (const e of patch.entities) entities.set(`${e.type}/${e.id}`, e);
    for (const d of patch.deleted) entities.delete(`${d.entityType}/${d.entityId}`);
    for (const check of [...checks]) check();
  });
  engine.on("error", () => undefined);
  if (options.connect !== false) await engine.connect();
  return {
    engine,
    entities,
    until: (predicate) =>
      new Promise((resolve) => {
        const check = () => {
          if (predicate(entities)) {
            checks.delete(check);
            resolve();
          }
        };
        checks.add(check);
        check();
      }),
    close: () => engine.close(),
  };
}

/** A `NetworkSyncEngine` in `room`, connected. */
export async function wsClient(wsUrl: string, room: string, options: { token?: string; userId?: string } = {}): Promise<NetworkSyncEngine> {
  const engine = new NetworkSyncEngine({
    wsUrl,
    roomId: room,
    userId: options.userId ?? "tester",
    ...(options.token === undefined ? {} : { authToken: options.token }),
    reconnectAttempts: 0,
  });
  engine.on("error", () => undefined);
  await engine.connect();
  return engine;
}

/** POSTs JSON and returns the status and parsed body. */
export async function postJson(url: string, body: unknown, token?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
}

/** An `addTodo` operation as the wire carries it. */
export function addTodoOp(clientId: string, id: number, todoId = `t${id}`): { id: number; clientId: string; name: string; args: unknown[]; timestamp: number } {
  return { id, clientId, name: "addTodo", args: [{ id: todoId, title: `todo ${id}`, now: 1_700_000_000_000 + id }], timestamp: 1_700_000_000_000 + id };
}
