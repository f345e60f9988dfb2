// The browser suite's parts: the app built with Vite into a temporary
// directory and served on 127.0.0.1:0, the real `kalphite-server` binary as a
// child process (restartable on the same port and data directory), and
// Debian's Chromium through playwright-core.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";

export const appDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const root = join(appDir, "..", "..");
const serverDir = join(root, "apps", "sync-server");
/** The built `kalphite-server`. */
export const SERVER_BIN = join(serverDir, "dist", "cli.js");
const SERVER_SOURCES = ["packages/store/src", "packages/flush/src", "packages/pglite/src", "packages/sync-ws/src", "packages/sync-ops/src", "packages/todo-model/src", "apps/sync-server/src"];

/** Chromium's flags here: headless, no sandbox (root), no background traffic. */
export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(path));
    else if (!/\.test(-d)?\.ts$/.test(entry.name)) latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

/** Builds `kalphite-server` when missing or older than its sources (the lock is the one apps/sync-server's tests take). */
export async function ensureServerBuilt(): Promise<void> {
  const lock = join(tmpdir(), "kalphite-server-e2e-build.lock");
  for (let waited = 0; ; waited += 100) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (waited > 300_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    const built = existsSync(SERVER_BIN) ? statSync(SERVER_BIN).mtimeMs : 0;
    if (SERVER_SOURCES.every((dir) => newest(join(root, dir)) < built)) return;
    const result = spawnSync(process.execPath, [join(root, "node_modules", "tsup", "dist", "cli-default.js")], { cwd: serverDir, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`building kalphite-server failed:\n${result.stdout}\n${result.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Builds the app with Vite's `build()` into `outDir`. */
export async function buildApp(outDir: string): Promise<void> {
  const { build } = await import("vite");
  await build({ configFile: join(appDir, "vite.config.ts"), logLevel: "error", build: { outDir, emptyOutDir: true, sourcemap: false } });
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".wasm": "application/wasm",
  ".data": "application/octet-stream",
  ".json": "application/json",
  ".svg": "image/svg+xml",
};

/** A static server for a built app on 127.0.0.1. `config` becomes `/config.js` (window.KALPHITE_CONFIG). */
export async function serveApp(dir: string, config?: Record<string, unknown>, port = 0): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    if (path === "/config.js" && config !== undefined) {
      res.writeHead(200, { "content-type": TYPES[".js"]!, "cache-control": "no-store" }).end(`window.KALPHITE_CONFIG = ${JSON.stringify(config)};\n`);
      return;
    }
    const file = normalize(join(dir, path === "/" ? "index.html" : path));
    if (!file.startsWith(normalize(dir)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A running `kalphite-server`. */
export interface SyncServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

const children = new Set<ChildProcessWithoutNullStreams>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

/** Starts `kalphite-server --data-dir <dataDir> …extra` on `port` (0: a free one) and resolves once it listens. */
export async function startSyncServer(dataDir: string, port = 0, extra: readonly string[] = ["--quiet"]): Promise<SyncServer> {
  const child = spawn(process.execPath, [SERVER_BIN, "--port", String(port), "--data-dir", dataDir, ...extra], { stdio: ["pipe", "pipe", "pipe"] });
  children.add(child);
  let out = "";
  let err = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const exited = once(child, "exit").then(() => void children.delete(child));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    void exited.then(() => reject(new Error(`kalphite-server exited before listening:\n${err}`)));
  });
  return {
    url,
    port: Number(new URL(url).port),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Launches headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS });
}

/** The texts of the todos the page lists, in order. */
export function todoTitles(page: Page): Promise<string[]> {
  return page.locator("ul.todos li .title").allTextContents();
}
