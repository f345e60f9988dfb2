import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import envPaths from "env-paths";

/** Most lines kept across sessions. @default 500 */
export const HISTORY_SIZE = 500;

/** Where the shell keeps its history: the user's cache directory (`~/.cache/kalphite-todo/history` on Linux). */
export function historyFile(env: NodeJS.ProcessEnv): string {
  return env["KALPHITE_TODO_HISTORY"] || join(envPaths("kalphite-todo", { suffix: "" }).cache, "history");
}

/** The saved history, newest first (readline's order); empty when there is none yet. */
export function loadHistory(file: string): string[] {
  try {
    return readFileSync(file, "utf8").split("\n").filter(Boolean).reverse().slice(0, HISTORY_SIZE);
  } catch {
    return [];
  }
}

/** Saves `history` (newest first). Losing history is not worth an error, so failures are ignored. */
export function saveHistory(file: string, history: readonly string[]): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${history.slice(0, HISTORY_SIZE).reverse().join("\n")}\n`);
  } catch {
    // A read-only home directory: the session's history simply is not kept.
  }
}
