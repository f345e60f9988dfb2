// `pnpm --filter @kalphite/todo-cli bench` (and part of `pnpm bench`):
// start-up of `kalphite-todo list` on a data directory of 1,000 todos,
// against PGlite alone opening the same directory. Each run is a fresh
// process; the two are interleaved so machine noise hits both alike.
// Prints both medians and their ratio; with --check, exits 1 above 1.5×.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createKalphite } from "kalphite";
import { EntitySchema, type Todo } from "../src/schema";

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, "..", "dist", "cli.js");
const baseline = join(here, "pglite-alone.mjs");
const TODOS = 1_000;
const LIMIT = 1.5;
const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf("--rounds") + 1]) || (args.includes("--quick") ? 3 : 9);

if (!existsSync(cli)) {
  console.error(`${cli} is missing: build it first (pnpm --filter @kalphite/todo-cli build)`);
  process.exit(1);
}

async function seed(dataDir: string): Promise<void> {
  const app = await createKalphite({ schema: EntitySchema, dataDir });
  const now = Date.now();
  const priorities = ["low", "medium", "high"] as const;
  const todos: Todo[] = Array.from({ length: TODOS }, (_, i) => ({
    id: `t${String(i).padStart(5, "0")}`,
    type: "todo",
    title: `Todo number ${i + 1}, with a title of realistic length`,
    completed: i % 4 === 0,
    priority: priorities[i % 3]!,
    due: i % 2 === 0 ? "2026-12-01" : null,
    project: i % 5 === 0 ? "Home" : null,
    tags: i % 3 === 0 ? ["errand"] : [],
    createdAt: now + i,
    updatedAt: now + i,
    completedAt: i % 4 === 0 ? now : null,
  }));
  app.store.todo.upsertMany(todos);
  await app.close();
}

function time(argv: string[]): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, argv, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  const elapsed = performance.now() - start;
  if (result.status !== 0) throw new Error(`${argv.join(" ")} failed: ${result.stderr}`);
  return elapsed;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const dataDir = mkdtempSync(join(tmpdir(), "kalphite-todo-bench-"));
try {
  await seed(dataDir);
  const list = [cli, "--data-dir", dataDir, "list", "--all"];
  const alone = [baseline, dataDir];
  time(alone); // warm the file cache for both
  time(list);
  const pglite: number[] = [];
  const todo: number[] = [];
  for (let i = 0; i < rounds; i++) {
    pglite.push(time(alone));
    todo.push(time(list));
  }
  const ratio = median(todo) / median(pglite);
  const ms = (n: number) => `${Math.round(n).toString().padStart(6)} ms`;
  console.log(`kalphite-todo start-up: ${TODOS.toLocaleString("en")} todos, median of ${rounds} runs, each a new process`);
  console.log(`  PGlite alone (open + close the directory)  ${ms(median(pglite))}`);
  console.log(`  kalphite-todo list --all                   ${ms(median(todo))}`);
  console.log(`  ratio                                      ${ratio.toFixed(2).padStart(6)} ×  (limit ${LIMIT} ×)`);
  if (args.includes("--check") && ratio > LIMIT) process.exitCode = 1;
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
