import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import envPaths from "env-paths";
import { lockDirOf } from "./lock-path";
import { forwardCommand, requestFor } from "./serve";
import { writeOut } from "./stdout";

/** Flags that print something without touching the data: always handled here. */
const LOCAL_FLAGS = new Set(["-h", "--help", "-V", "--version"]);

/** Whether `argv` names a command (a word besides the global options): without one it is the shell. */
function hasCommand(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--data-dir" || arg === "--sync" || arg === "--sync-mode" || arg === "--sync-token") i++;
    else if (!arg.startsWith("-")) return true;
  }
  return false;
}

/** The data directory `argv` and `env` name, as `resolveDataDir` would (`undefined` when unsure). */
function dataDirOf(argv: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  let flag: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") break;
    if (arg === "--data-dir") flag = argv[++i];
    else if (arg.startsWith("--data-dir=")) flag = arg.slice("--data-dir=".length);
  }
  const chosen = flag ?? env["KALPHITE_TODO_DIR"];
  if (chosen !== undefined && chosen.trim() === "") return undefined;
  return resolve(chosen ?? envPaths("kalphite-todo", { suffix: "" }).data);
}

/**
 * The quick way for a one-shot command while another process (say, the
 * shell) holds the data directory: send it there before loading the
 * command parser, the date parser or PGlite, and print the answer. Resolves
 * to the exit code, or `undefined` when the command must run the full way
 * (no holder, the shell itself, help, or a holder that is closing down).
 */
export async function runServedQuickly(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number | undefined> {
  if (!hasCommand(argv) || argv.some((arg) => LOCAL_FLAGS.has(arg)) || argv.includes("help")) return undefined;
  const dir = dataDirOf(argv, env);
  if (dir === undefined) return undefined;
  let endpoint: string;
  try {
    endpoint = (JSON.parse(readFileSync(`${lockDirOf(dir)}/owner.json`, "utf8")) as { endpoint: string }).endpoint;
  } catch {
    return undefined;
  }
  if (typeof endpoint !== "string") return undefined;
  const outcome = await forwardCommand(endpoint, requestFor(argv, env), {
    out: writeOut,
    err: (text) => process.stderr.write(text),
    confirm: async (question) => {
      const { createInterface } = await import("node:readline/promises");
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
      } finally {
        rl.close();
      }
    },
  });
  return outcome.kind === "done" ? outcome.code : undefined;
}
