import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRandom } from "../data/todos";

/** The todo app's binary, once built (`pnpm --filter @kalphite/todo-cli build`). */
export const CLI = fileURLToPath(new URL("../../../apps/todo-cli/dist/cli.js", import.meta.url));

const WORDS = ["Buy milk", "Call the plumber", "Review PR", "Book flights", "Renew passport", "Write report", "Fix the bike", "Pay invoice"];
const TAGS = ["errand", "work", "home", "urgent"];
const PRIORITIES = ["low", "medium", "high"];

/** `count` `add` lines for the app's shell: varied priorities, tags, due dates and projects (seeded). */
function addLines(count: number): string {
  const random = createRandom(3);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    let line = `add ${WORDS[i % WORDS.length]} ${i + 1} -p ${PRIORITIES[(random() * 3) | 0]}`;
    if (random() < 0.5) line += ` -t ${TAGS[(random() * TAGS.length) | 0]}`;
    if (random() < 0.4) line += ` -d +${1 + ((random() * 30) | 0)}d`;
    if (random() < 0.2) line += ` -P ${random() < 0.5 ? "Home" : "Work"}`;
    lines.push(line);
  }
  return `${lines.join("\n")}\nexit\n`;
}

/**
 * A fresh data directory holding `count` todos, written by the app itself:
 * the add commands piped into its interactive shell (one process).
 */
export async function prepareDataDir(count: number): Promise<string> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing`);
  const dir = mkdtempSync(join(tmpdir(), "kalphite-bench-todo-"));
  const dataDir = join(dir, "data");
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "--data-dir", dataDir], { stdio: ["pipe", "ignore", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`the todo shell exited with ${code}: ${stderr.slice(0, 500)}`))));
    child.stdin.end(addLines(count));
  });
  return dataDir;
}

/** Removes a directory made by `prepareDataDir`. */
export function removeDataDir(dataDir: string): void {
  rmSync(join(dataDir, ".."), { recursive: true, force: true });
}
