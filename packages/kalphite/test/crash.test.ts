// A real-process crash test (issue 9): a child writes store batches steadily
// and in bursts through createKalphite; the parent kill -9s it at random
// moments, reopens the data directory, and checks that every batch older than
// maxWaitMs + one flush is there, each batch whole, in order.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FrontendDatabase } from "@kalphite/pglite";
import { afterAll, describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const writer = join(here, "crash-writer.ts");
const MAX_WAIT_MS = 250;
const DEBOUNCE_MS = 50;
/**
 * "One flush": the longest one target call (a PGlite transaction of one
 * call's batches) may take on a loaded 2-core CI machine, on top of maxWaitMs.
 */
const ONE_FLUSH_MS = 2000;
const KILLS = 3;

interface Printed {
  readonly size: number;
  readonly at: number;
}

/** Starts the writer; resolves with it once it printed `ready`, collecting every `B n size t` line into `printed`. */
function startWriter(dataDir: string, seed: number, printed: Map<number, Printed>): Promise<{ child: ChildProcess; first: number }> {
  const child = spawn(process.execPath, ["--import", "tsx", writer, dataDir, String(MAX_WAIT_MS), String(DEBOUNCE_MS), String(seed)], {
    cwd: join(here, ".."),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    let buffer = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines) {
        const [kind, a, b, c] = line.split(" ");
        if (kind === "ready") resolve({ child, first: Number(a) });
        else if (kind === "B") printed.set(Number(a), { size: Number(b), at: Number(c) });
      }
    });
    child.on("exit", (code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`the writer exited (${code ?? signal}) before it was killed: ${stderr}`));
    });
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("kill -9 while writing (real processes)", () => {
  it(`loses no batch older than maxWaitMs + one flush; every durable batch is whole and the durable ones are a prefix, in order (${KILLS} kills)`, async () => {
    const root = mkdtempSync(join(tmpdir(), "kalphite-crash-"));
    dirs.push(root);
    const dataDir = join(root, "data");
    const printed = new Map<number, Printed>();
    let checkedByAge = 0;
    for (let round = 0; round < KILLS; round++) {
      const seed = 1 + Math.floor(Math.random() * 1_000_000);
      const next = printed.size === 0 ? 0 : Math.max(...printed.keys()) + 1;
      const { child, first } = await startWriter(dataDir, seed, printed);
      expect(first, "the writer goes on after the newest durable batch").toBe(next);
      const runMs = 2500 + Math.floor(Math.random() * 1000);
      await new Promise((resolve) => setTimeout(resolve, runMs));
      const killedAt = Date.now();
      await killed(child);
      const context = `round ${round}, writer seed ${seed}, killed after ${runMs} ms`;

      const db = new FrontendDatabase({ dbName: dataDir });
      await db.init();
      const rows = await db.getAll<{ id: string; type: string; batch: number; j?: number }>();
      await db.close();

      const last = rows.find((row) => row.type === "mark" && row.id === "last")?.batch ?? -1;
      const perBatch = new Map<number, number>();
      for (const row of rows) {
        if (row.type !== "item") continue;
        expect(row.id, context).toBe(`${row.batch}-${row.j}`);
        perBatch.set(row.batch, (perBatch.get(row.batch) ?? 0) + 1);
      }
      // In order: the durable batches are exactly 0..last, and the shared mark names the newest.
      expect([...perBatch.keys()].sort((a, b) => a - b), context).toEqual(Array.from({ length: last + 1 }, (_, n) => n));
      // Whole: each durable batch has every item it was written with.
      for (const [n, count] of perBatch) expect(count, `${context}: batch ${n}`).toBe(printed.get(n)?.size);
      // Bounded loss: every batch acknowledged more than maxWaitMs + one flush before the kill is durable.
      for (const [n, { at }] of printed) {
        if (at > killedAt - MAX_WAIT_MS - ONE_FLUSH_MS) continue;
        checkedByAge++;
        expect(n, `${context}: batch ${n} acknowledged ${killedAt - at} ms before the kill`).toBeLessThanOrEqual(last);
      }
      // What was lost is gone for good: the next writer renumbers from last + 1.
      for (const n of [...printed.keys()]) if (n > last) printed.delete(n);
    }
    expect(checkedByAge).toBeGreaterThan(0); // the age check was not vacuous
  }, 180_000);
});
