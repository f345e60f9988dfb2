#!/usr/bin/env node
// `npm run server -- <args>` (or `pnpm server <args>`): installs and builds on first
// use (or when the sources changed), then runs the kalphite-server binary.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { buildPackage, ensureInstalled, root } from "./setup.mjs";

const bin = join(root, "apps", "sync-server", "dist", "cli.js");
const sources = [
  "packages/store/src",
  "packages/flush/src",
  "packages/pglite/src",
  "packages/sync-ws/src",
  "packages/sync-ops/src",
  "packages/todo-model/src",
  "apps/sync-server/src",
];

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

ensureInstalled();
const stale = !existsSync(bin) || sources.some((dir) => newestMtime(join(root, dir)) > statSync(bin).mtimeMs);
if (stale) buildPackage("@kalphite/sync-server", "kalphite-server: building the server (first run, or the sources changed)…");

const child = spawn(process.execPath, [bin, ...process.argv.slice(2)], { stdio: "inherit" });
// The child gets Ctrl-C itself (same process group) and shuts down gracefully; pass SIGTERM on.
process.on("SIGINT", () => {});
process.on("SIGTERM", () => child.kill("SIGTERM"));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
