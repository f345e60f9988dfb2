import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Measurements } from "../harness/types";
import type { WebParams } from "./web";

// Run as a process (not imported): the app's build tooling (Vite, playwright-core) belongs to apps/todo-web.
const SCRIPT = fileURLToPath(new URL("../../../apps/todo-web/scripts/measure.ts", import.meta.url));
const TSX = fileURLToPath(new URL("../../../node_modules/tsx/dist/cli.mjs", import.meta.url));

/** Child of the web group: runs the app's measurement script and reads its JSON line. */
export async function runWebChild(_impl: string, raw: Record<string, unknown>): Promise<Measurements> {
  const params = raw as unknown as WebParams;
  const child = spawn(process.execPath, [TSX, SCRIPT, JSON.stringify({ edits: params.edits, todos: params.todos })], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  if (code !== 0) throw new Error(`apps/todo-web/scripts/measure.ts exited with ${code}`);
  const line = out.trim().split("\n").at(-1) ?? "";
  const result = JSON.parse(line) as { clickP50: number; clickP99: number; loadStored: number; loadFresh: number };
  return { "click-p50": result.clickP50, "click-p99": result.clickP99, "load-stored": result.loadStored, "load-fresh": result.loadFresh };
}
