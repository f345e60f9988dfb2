#!/usr/bin/env node
// Brings a fresh clone to a runnable state: installs the pinned pnpm's
// dependencies when they are missing or older than the lockfile, and (with
// --build) builds every package. One progress line on stderr while it works,
// the tool's full output only when something fails; silent when nothing
// needs doing. No telemetry.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const PNPM_VERSION = "10.34.9";
export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The environment for pnpm and turbo: no telemetry, no update notices, no funding messages. */
export function quietEnv(env = process.env) {
  return {
    ...env,
    TURBO_TELEMETRY_DISABLED: "1",
    DO_NOT_TRACK: "1",
    TURBO_NO_UPDATE_NOTIFIER: "1",
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
    NPM_CONFIG_UPDATE_NOTIFIER: "false",
  };
}

let cached;
/** The command that runs the pinned pnpm: a global pnpm 10 when there is one, npx otherwise. */
export function pnpmCommand() {
  if (cached) return cached;
  try {
    const version = execFileSync("pnpm", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], env: quietEnv() }).trim();
    if (version.startsWith("10.")) return (cached = ["pnpm"]);
  } catch {
    // no usable global pnpm
  }
  return (cached = ["npx", "--yes", `pnpm@${PNPM_VERSION}`]);
}

/**
 * Runs a set-up step quietly: its output is kept and shown only when it
 * fails (then the process exits with its status). `label` is the one
 * progress line shown on stderr meanwhile.
 */
function run(label, cmd, args) {
  process.stderr.write(`${label}\n`);
  const result = spawnSync(cmd, args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: quietEnv(), maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) {
    process.stderr.write(result.stdout ?? "");
    process.stderr.write(result.stderr ?? "");
    console.error(`kalphite setup: \`${[cmd, ...args].join(" ")}\` failed${result.error ? ` (${result.error.message})` : ""}`);
    process.exit(result.status ?? 1);
  }
}

export function ensureInstalled() {
  const marker = join(root, "node_modules", ".modules.yaml");
  const lock = join(root, "pnpm-lock.yaml");
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  const [cmd, ...pre] = pnpmCommand();
  run(`kalphite setup: installing dependencies with pnpm ${PNPM_VERSION} (first run, about a minute)…`, cmd, [...pre, "install", "--frozen-lockfile", "--reporter=append-only"]);
}

/** Builds one package's own `build` script only (the todo app bundles its workspace dependencies from source). */
export function buildPackage(name, label = `kalphite setup: building ${name}…`) {
  const [cmd, ...pre] = pnpmCommand();
  run(label, cmd, [...pre, "--filter", name, "run", "build"]);
}

export function build(filter) {
  const [cmd, ...pre] = pnpmCommand();
  const args = [...pre, "exec", "turbo", "run", "build", "--output-logs=errors-only"];
  if (filter) args.push(`--filter=${filter}`);
  run(`kalphite setup: building ${filter ?? "every package"}…`, cmd, args);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  ensureInstalled();
  if (process.argv.includes("--build")) build();
}
