import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { FlushError, KalphiteError, MemoryFlushEngine, FrontendDatabase, createKalphite, type Kalphite } from "../src/index";

const Todo = z.object({ id: z.string(), type: z.literal("todo"), title: z.string().min(1), done: z.boolean(), updatedAt: z.number() });
const Note = z.object({ id: z.string(), type: z.literal("note"), body: z.string(), updatedAt: z.number() });
const Entity = z.discriminatedUnion("type", [Todo, Note]);
type Entity = z.infer<typeof Entity>;

const tempDir = () => mkdtempSync(join(tmpdir(), "kalphite-umbrella-"));

describe("createKalphite: options", () => {
  it.each([
    ["no options", undefined, "options must be an object"],
    ["no schema", { dataDir: "/tmp/x" }, "options.schema must be a Standard Schema"],
    ["neither dbName nor dataDir", { schema: Entity }, "give options.dataDir (a directory) or options.dbName"],
    ["both dbName and dataDir", { schema: Entity, dbName: "memory://", dataDir: "/tmp/x" }, "not both"],
    ["an empty dataDir", { schema: Entity, dataDir: " " }, "options.dataDir must be a non-empty string"],
    ["a URL as dataDir", { schema: Entity, dataDir: "idb://todos" }, "options.dataDir is a directory path"],
    ["a flush target", { schema: Entity, dataDir: "/tmp/x", flush: { flushTarget: async () => {} } }, "options.flush.flushTarget cannot be set"],
    ["a store sink", { schema: Entity, dataDir: "/tmp/x", store: { sink: {} } }, "options.store.sink cannot be set"],
  ])("rejects %s with INVALID_CONFIG before opening anything", async (_what, options, message) => {
    const attempt = createKalphite(options as never);
    await expect(attempt).rejects.toBeInstanceOf(KalphiteError);
    await expect(attempt).rejects.toMatchObject({ code: "INVALID_CONFIG", message: expect.stringContaining(message) });
  });

  it("passes flush options to the engine, which checks them", async () => {
    await expect(createKalphite({ schema: Entity, dbName: "memory://", flush: { debounceMs: -1 } })).rejects.toBeInstanceOf(FlushError);
  });
});

describe("createKalphite: a directory database", () => {
  const dataDir = tempDir();
  let app: Kalphite<Entity>;
  beforeAll(async () => {
    app = await createKalphite({ schema: Entity, dataDir, flush: { debounceMs: 5 } });
  });
  afterAll(async () => {
    await app.close();
  });

  it("wires store → flush engine → database", async () => {
    expect(app.flushEngine).toBeInstanceOf(MemoryFlushEngine);
    expect(app.db).toBeInstanceOf(FrontendDatabase);
    app.store.todo.upsert("t1", { title: "Ship it", done: false, updatedAt: 1 });
    app.store.note.upsert("n1", { body: "hello", updatedAt: 2 });
    await app.flushEngine.flush();
    const rows = await app.db.getAll();
    expect(rows).toEqual(expect.arrayContaining([
      { id: "t1", type: "todo", title: "Ship it", done: false, updatedAt: 1 },
      { id: "n1", type: "note", body: "hello", updatedAt: 2 },
    ]));
  });

  it("validates writes synchronously with the schema; nothing reaches the database", async () => {
    expect(() => app.store.todo.upsert("bad", { title: "", done: false, updatedAt: 3 })).toThrow(/Invalid todo "bad": title/);
    await app.flushEngine.flush();
    expect((await app.db.getAll()).map((e) => e.id)).not.toContain("bad");
  });

  it("close() flushes what is pending, closes the database, and is idempotent; a reopen hydrates the store", async () => {
    app.store.todo.update("t1", (draft) => {
      draft.done = true;
    });
    app.store.note.delete("n1");
    const first = app.close();
    expect(app.close()).toBe(first);
    await first;

    const again = await createKalphite({ schema: Entity, dataDir });
    try {
      expect(again.store.todo.findById("t1")).toEqual({ id: "t1", type: "todo", title: "Ship it", done: true, updatedAt: 1 });
      expect(again.store.note.length).toBe(0);
      // Hydration is a load: nothing to write back.
      expect(again.flushEngine.getQueuedChanges()).toEqual([]);
    } finally {
      await again.close();
    }
  });
});

describe("createKalphite: flush batches sized for PGlite", () => {
  const batchSizes = async (flush?: { maxBatchSize: number }) => {
    const app = await createKalphite({ schema: Entity, dbName: "memory://batches", ...(flush ? { flush } : {}) });
    try {
      const applyChanges = vi.spyOn(app.db, "applyChanges");
      app.store.todo.upsertMany(Array.from({ length: 2500 }, (_, i) => ({ id: `t${i}`, type: "todo" as const, title: `todo ${i}`, done: false, updatedAt: i })));
      await app.flushEngine.flush();
      expect(await app.db.count("todo")).toBe(2500);
      return applyChanges.mock.calls.map(([changes]) => changes.length);
    } finally {
      await app.close();
    }
  };

  it("delivers 1,000 changes per statement by default (PGLITE_FLUSH_DEFAULTS)", async () => {
    expect(await batchSizes()).toEqual([1000, 1000, 500]);
  });

  it("lets options.flush override it", async () => {
    expect(await batchSizes({ maxBatchSize: 2000 })).toEqual([2000, 500]);
  });
});
