import { MemoryFlushEngine } from "@kalphite/flush";
import { KalphiteStore } from "@kalphite/store";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { z } from "zod";
import { createFlushTarget } from "./flush-target";
import { FrontendDatabase } from "./frontend-database";
import { hydrate } from "./hydrate";

// The README's example, run as written (with a temporary directory).
const dir = mkdtempSync(join(tmpdir(), "kalphite-readme-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("the README example works", async () => {
  const Todo = z.object({ id: z.string(), type: z.literal("todo"), title: z.string(), done: z.boolean(), priority: z.number() });
  const schema = z.discriminatedUnion("type", [Todo]);

  const db = new FrontendDatabase({ dbName: join(dir, "todos"), schema, indexes: ["priority"] });
  await db.init();

  await db.upsert("todo", "t1", { title: "Ship it", done: false, priority: 2 });
  await db.upsertMany([
    { id: "t2", type: "todo", title: "Write docs", done: true, priority: 1 },
    { id: "t3", type: "todo", title: "Fix bug", done: false, priority: 3 },
  ]);
  expect(await db.getById("todo", "t1")).toEqual({ id: "t1", type: "todo", title: "Ship it", done: false, priority: 2 });

  const urgent = await db.find("todo", { where: { done: false, priority: { gte: 2 } }, orderBy: { field: "priority", direction: "desc" }, limit: 10 });
  expect(urgent.map((t) => t.id)).toEqual(["t3", "t1"]);
  const open = await db.query<z.infer<typeof Todo>>("todo", (t) => !t.done, (t) => t.priority);
  expect(open.map((t) => t.id)).toEqual(["t1", "t3"]);

  await db.transaction(async (tx) => {
    await tx.delete("todo", "t2");
    await tx.upsert("todo", "t4", { title: "Celebrate", done: false, priority: 0 });
  });

  const engine = new MemoryFlushEngine({ flushTarget: createFlushTarget(db) });
  const store = KalphiteStore(schema, { sink: engine });
  expect(await hydrate(store, db)).toEqual({ loaded: 3, invalid: [] });
  store.todo.upsert("t5", { title: "From the store", done: false, priority: 1 });
  store.batch(() => store.todo.delete("t1"), { meta: { cursor: 7 } });
  await engine.flush();
  expect(await db.getById("todo", "t5")).toMatchObject({ title: "From the store" });
  expect(await db.getById("todo", "t1")).toBeUndefined();
  expect(await db.getMeta("cursor")).toBe(7);

  const backup = await db.backup();
  const copy = new FrontendDatabase({ dbName: "memory://copy", schema });
  await copy.init();
  await copy.restore(backup);
  expect((await copy.getAll()).map((t) => t.id)).toEqual(["t3", "t4", "t5"]);
  expect(await copy.getMeta("cursor")).toBe(7);

  await engine.close();
  await copy.close();
  await db.close();
});
