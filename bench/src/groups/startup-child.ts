import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { nowMs } from "../harness/timing";
import type { Measurements } from "../harness/types";
import type { StartupParams } from "./startup";
import { CLI } from "./startup-data";

const BENCH_ROOT = fileURLToPath(new URL("../..", import.meta.url));

// Resolved from the bench package, which depends on the same @electric-sql/pglite as the app.
const PGLITE_ALONE = `
const { PGlite } = await import("@electric-sql/pglite");
const db = await PGlite.create({ dataDir: process.argv[1] });
await db.close();
`;

function argvFor(impl: string, dataDir: string): string[] {
  if (impl === "cli" || impl === "served") return [CLI, "--data-dir", dataDir, "list"];
  if (impl === "pglite") return ["--input-type=module", "-e", PGLITE_ALONE, dataDir];
  throw new Error(`unknown startup impl "${impl}"`);
}

/** Wall time of one process, from spawn to exit, in ms. */
function launch(argv: string[]): number {
  const start = nowMs();
  const result = spawnSync(process.execPath, argv, { cwd: BENCH_ROOT, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  const elapsed = nowMs() - start;
  if (result.status !== 0) throw new Error(`${argv.slice(0, 2).join(" ")} exited with ${result.status}: ${result.stderr.toString().slice(0, 500)}`);
  return elapsed;
}

/**
 * Starts the app's shell on `dataDir` and resolves once it holds the
 * directory and serves other processes (its first prompt); `stop()` ends it.
 */
async function startShell(dataDir: string): Promise<{ stop(): Promise<void> }> {
  const shell = spawn(process.execPath, [CLI, "--data-dir", dataDir], { cwd: BENCH_ROOT, stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, NO_COLOR: "1" } });
  await new Promise<void>((resolve, reject) => {
    shell.once("exit", (code) => reject(new Error(`the shell exited with ${code} before serving`)));
    shell.stdout.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("kalphite> ")) resolve();
    });
  });
  shell.stdout.resume();
  return {
    stop: () =>
      new Promise((resolve) => {
        shell.removeAllListeners("exit");
        shell.once("exit", () => resolve());
        shell.stdin.end("exit\n");
      }),
  };
}

/**
 * Median launch time of the app's `list` (`cli`), of the same `list` served
 * by a running shell that holds the directory (`served`), or of PGlite
 * opening the directory alone (`pglite`).
 */
export async function runStartupChild(impl: string, raw: Record<string, unknown>): Promise<Measurements> {
  const { launches, dataDir } = raw as unknown as StartupParams;
  if (dataDir === undefined) throw new Error("no data directory prepared");
  const argv = argvFor(impl, dataDir);
  if (impl === "served") {
    const shell = await startShell(dataDir);
    try {
      launch(argv);
      const times: number[] = [];
      for (let i = 0; i < launches; i++) times.push(launch(argv));
      times.sort((a, b) => a - b);
      return { launch: times[times.length >> 1]! };
    } finally {
      await shell.stop();
    }
  }
  launch(argv); // warm-up: file cache, compile cache
  const times: number[] = [];
  for (let i = 0; i < launches; i++) times.push(launch(argv));
  times.sort((a, b) => a - b);
  return { launch: times[times.length >> 1]! };
}
