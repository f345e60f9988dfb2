import { MemoryFlushEngine } from "@kalphite/flush";
import { KalphiteStore } from "@kalphite/store";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";
import { createFlushTarget } from "./flush-target";
import { createFrontendDatabase } from "./frontend-database";

type TestEntity =
  | { id: string; type: "project"; name: string; members: { name: string; roles: string[] }[]; archived: boolean }
  | { id: string; type: "todo"; title: string; done: boolean; priority: number | null; project: { id: string }; updatedAt: number }
  | { id: string; type: "note"; body: string; size: number };

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const child = fileURLToPath(new URL("./test-fixtures/print-hydrated-store.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "kalphite-round-trip-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("a store flushed to a directory is hydrated identically by another process", async () => {
  const db = await createFrontendDatabase({ dbName: dir });
  const engine = new MemoryFlushEngine({ flushTarget: createFlushTarget(db), debounceMs: 5, maxBatchSize: 25 });
  const store = KalphiteStore<TestEntity>(undefined, { sink: engine });

  store.project.upsert("p1", { name: "Launch", members: [{ name: "Åsa", roles: ["owner"] }], archived: false });
  for (let i = 0; i < 60; i++) {
    store.todo.upsert(`t${i}`, { title: `Todo ${i} — ✓ 🎯`, done: i % 3 === 0, priority: i % 5 === 0 ? null : i / 4, project: { id: "p1" }, updatedAt: 1_700_000_000_000 + i });
  }
  store.todo.delete("t10");
  store.todo.update("t2", (draft) => {
    draft.title = "renamed";
  });
  store.note.upsert("n1", { body: "a\nmulti-line\tnote with \"quotes\" and \\ backslashes", size: 1e21 });
  await engine.close();
  await db.close();

  const expected = Object.fromEntries(store.types().map((type) => [type, [...store.getByType(type)]]));
  const { stdout } = await run(process.execPath, ["--import", "tsx", child, dir], { cwd: packageDir, maxBuffer: 16 * 1024 * 1024 });
  const printed = JSON.parse(stdout) as { loaded: number; collections: Record<string, unknown[]> };

  expect(printed.loaded).toBe(61);
  expect(printed.collections).toEqual(expected);
  expect(Object.keys(printed.collections)).toEqual(["project", "todo", "note"]);
  expect(printed.collections["todo"]!.map((t) => (t as { id: string }).id)).toEqual(store.todo.map((t) => t.id));
});
