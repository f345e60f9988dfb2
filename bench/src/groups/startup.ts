import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { maxRatio, maxValue } from "../harness/targets";
import type { GroupSpec, RunOptions } from "../harness/types";
import { CLI, prepareDataDir, removeDataDir } from "./startup-data";

/** Parameters of a start-up child. */
export interface StartupParams {
  /** Processes timed per child, after one warm-up launch. */
  readonly launches: number;
  /** Set by `prepare`. */
  readonly dataDir?: string;
}

const TODOS = 1_000;

/** Group 5: `kalphite-todo list` with 1,000 todos against PGlite opening the same directory alone. */
export function startupGroup(options: RunOptions): GroupSpec | { skipped: string } {
  if (!existsSync(CLI)) return { skipped: "apps/todo-cli not built (run `pnpm --filter @kalphite/todo-cli build`)" };
  const params: StartupParams = { launches: 2 };
  return {
    id: "startup",
    title: `startup — todo app with ${TODOS.toLocaleString("en-US")} todos, whole processes`,
    impls: [
      { id: "pglite", label: "PGlite alone: open + close (baseline)" },
      { id: "cli", label: "kalphite-todo list" },
      { id: "served", label: "kalphite-todo list, served by a running shell" },
    ],
    rounds: options.rounds ?? (options.quick ? 2 : 5),
    jobs: [
      { impl: "pglite", params: { ...params } },
      { impl: "cli", params: { ...params } },
      { impl: "served", params: { ...params } },
    ],
    workloads: [{ id: "launch", label: "process start to exit", unit: "ms", baseline: "pglite" }],
    targets: [maxRatio("launch", "cli", "pglite", 1.5), maxValue("launch", "served", 150, "ms")],
    prepare: async (log) => {
      const started = performance.now();
      const dataDir = await prepareDataDir(TODOS);
      const check = spawnSync(process.execPath, [CLI, "--data-dir", dataDir, "--json", "list"], { encoding: "utf8" });
      const shown = check.status === 0 ? (JSON.parse(check.stdout) as unknown[] | { todos?: unknown[] }) : undefined;
      const count = Array.isArray(shown) ? shown.length : shown?.todos?.length;
      log(`  data dir with ${count ?? "?"} todos written by the app's shell in ${((performance.now() - started) / 1000).toFixed(0)} s: ${dataDir}`);
      return { params: { dataDir }, cleanup: () => removeDataDir(dataDir) };
    },
    notes: [
      `The data directory is written once by the app itself (${TODOS.toLocaleString("en-US")} \`add\` lines piped into its shell: varied priorities, tags, due dates, projects).`,
      "kalphite-todo list = `node apps/todo-cli/dist/cli.js --data-dir DIR list` (NO_COLOR=1, output discarded); baseline = `node --input-type=module -e` importing @electric-sql/pglite, `PGlite.create({ dataDir: DIR })`, `close()`. Same Node, same PGlite, same directory, same file cache.",
      "served = the same `list` while the app's shell holds the directory (started by the child, waited for until it prompts): the one-shot process loads no PGlite, sends its command over the shell's local socket and prints the answer.",
      "Each child times 2 launches from spawn to exit after one warm-up launch (the median of the 2 is its sample); the two kinds alternate across rounds.",
    ],
  };
}
