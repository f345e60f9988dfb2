#!/usr/bin/env node
// Brings a fresh clone to a runnable state: installs the pinned pnpm's
// dependencies when they are missing or older than the lockfile, and (with
// --build) builds every package. Quiet and quick when nothing needs doing.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const PNPM_VERSION = "10.34.9";
export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The command that runs the pinned pnpm: a global pnpm 10 when there is one, npx otherwise. */
export function pnpmCommand() {
  try {
    const version = execFileSync("pnpm", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    if (version.startsWith("10.")) return ["pnpm"];
  } catch {
    // no usable global pnpm
  }
  return ["npx", "-y", `pnpm@${PNPM_VERSION}`];
}

function run(cmd, args) {
  // Set-up output goes to stderr, so `npm run -s todo -- list --json` prints only JSON on stdout.
  const result = spawnSync(cmd, args, { cwd: root, stdio: ["inherit", 2, "inherit"], env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" } });
  if (result.status !== 0) {
    console.error(`kalphite setup: \`${[cmd, ...args].join(" ")}\` failed`);
    process.exit(result.status ?? 1);
  }
}

export function ensureInstalled() {
  const marker = join(root, "node_modules", ".modules.yaml");
  const lock = join(root, "pnpm-lock.yaml");
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  console.error("kalphite setup: installing dependencies (first run)…");
  const [cmd, ...pre] = pnpmCommand();
  run(cmd, [...pre, "install", "--frozen-lockfile"]);
}

/** Builds one package's own `build` script only (the todo app bundles its workspace dependencies from source). */
export function buildPackage(name) {
  const [cmd, ...pre] = pnpmCommand();
  run(cmd, [...pre, "--filter", name, "run", "build"]);
}

export function build(filter) {
  const [cmd, ...pre] = pnpmCommand();
  const args = [...pre, "exec", "turbo", "run", "build", "--output-logs=errors-only"];
  if (filter) args.push(`--filter=${filter}`);
  run(cmd, args);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  ensureInstalled();
  if (process.argv.includes("--build")) build();
}
