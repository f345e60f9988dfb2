import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Measurements } from "./types";

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));
const BENCH_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const RUN_TSCONFIG = fileURLToPath(new URL("../../tsconfig.run.json", import.meta.url));

type ChildMessage = { ok: true; values: Measurements } | { ok: false; error: string };

/**
 * Runs one implementation's workloads of `group` in a fresh Node process
 * (`--expose-gc`, TypeScript through tsx) and resolves with its measurements.
 * Rejects when the child reports an error, exits without reporting, or runs
 * longer than `timeoutMs`.
 */
export function runChild(
  group: string,
  impl: string,
  params: Record<string, unknown>,
  options: { execArgv?: readonly string[]; timeoutMs?: number } = {},
): Promise<Measurements> {
  const { execArgv = [], timeoutMs = 300_000 } = options;
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [group, impl, JSON.stringify(params)], {
      cwd: BENCH_ROOT,
      execArgv: ["--expose-gc", ...execArgv, "--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      // Production mode for every child: libraries drop dev-only checks and warnings (TanStack DB's index hints).
      // Built packages, as an application gets them (`dist/`, through tsconfig.run.json without the source paths).
      env: { ...process.env, NODE_ENV: "production", TSX_TSCONFIG_PATH: RUN_TSCONFIG },
    });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish(() => reject(new Error(`${group}/${impl}: no result after ${timeoutMs} ms`)));
    }, timeoutMs);
    child.on("message", (message: ChildMessage) => {
      finish(() => (message.ok ? resolve(message.values) : reject(new Error(`${group}/${impl}: ${message.error}`))));
    });
    child.on("error", (error) => finish(() => reject(error)));
    child.on("exit", (code, signal) => {
      finish(() => reject(new Error(`${group}/${impl}: child exited (${signal ?? code}) without a result`)));
    });
  });
}
