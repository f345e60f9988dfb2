#!/usr/bin/env node
// `npm run -s todo -- <args>` (or `pnpm -s todo <args>`): installs and builds on first
// use (or when the sources changed), then runs the kalphite-todo binary.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { buildPackage, ensureInstalled, root } from "./setup.mjs";

const cli = join(root, "apps", "todo-cli", "dist", "cli.js");
const sources = ["packages/store/src", "packages/flush/src", "packages/pglite/src", "packages/sync-ws/src", "packages/sync-ops/src", "packages/transactions/src", "packages/coordinator/src", "packages/todo-model/src", "packages/kalphite/src", "apps/todo-cli/src"];

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

ensureInstalled();
const stale = !existsSync(cli) || sources.some((dir) => newestMtime(join(root, dir)) > statSync(cli).mtimeMs);
if (stale) {
  buildPackage("@kalphite/todo-cli", "kalphite-todo: building the app (first run, or the sources changed)…");
}

const child = spawn(process.execPath, [cli, ...process.argv.slice(2)], { stdio: "inherit" });
// The child owns the terminal: Ctrl-C reaches it directly and it flushes before exiting.
process.on("SIGINT", () => {});
process.on("SIGTERM", () => child.kill("SIGTERM"));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
