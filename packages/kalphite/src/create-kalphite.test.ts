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
    ["an unknown onInvalid", { schema: Entity, dataDir: "/tmp/x", onInvalid: "drop" }, "options.onInvalid must be"],
  ])("rejects %s with INVALID_CONFIG before opening anything", async (_what, options, message) => {
    const attempt = createKalphite(options as never);
    await expect(attempt).rejects.toBeInstanceOf(KalphiteError);
    await expect(attempt).rejects.toMatchObject({ code: "INVALID_CONFIG", message: expect.stringContaining(message) });
  });

  it("passes flush options to the engine, which checks them", async () => {
    await expect(createKalphite({ schema: Entity, dbName: "memory://", flush: { debounceMs: -1 } })).rejects.toBeInstanceOf(FlushError);
    await expect(createKalphite({ schema: Entity, dbName: "memory://", flush: { maxWaitMs: -1 } })).rejects.toBeInstanceOf(FlushError);
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
      // 2,500 single writes: 2,500 store batches, grouped into calls of at most maxBatchSize changes.
      for (let i = 0; i < 2500; i++) app.store.todo.upsert(`t${i}`, { title: `todo ${i}`, done: false, updatedAt: i });
      await app.flushEngine.flush();
      expect(await app.db.count("todo")).toBe(2500);
      const sizes = applyChanges.mock.calls.map(([changes]) => changes.length);
      // One store batch larger than maxBatchSize still travels in one call: never split, never half-durable.
      applyChanges.mockClear();
      app.store.note.upsertMany(Array.from({ length: 2500 }, (_, i) => ({ id: `n${i}`, type: "note" as const, body: `note ${i}`, updatedAt: i })));
      await app.flushEngine.flush();
      expect(applyChanges.mock.calls.map(([changes]) => changes.length)).toEqual([2500]);
      return sizes;
    } finally {
      await app.close();
    }
  };

  it("delivers 1,000 changes per statement by default (PGLITE_FLUSH_DEFAULTS), a bigger store batch whole", async () => {
    expect(await batchSizes()).toEqual([1000, 1000, 500]);
  });

  it("lets options.flush override it", async () => {
    expect(await batchSizes({ maxBatchSize: 2000 })).toEqual([2000, 500]);
  });
});

describe("createKalphite: the seam's guarantees", () => {
  let app: Kalphite<Entity>;
  beforeAll(async () => {
    app = await createKalphite({ schema: Entity, dbName: "memory://guarantees", flush: { debounceMs: 200, maxWaitMs: 50, maxRetries: 0, isRetriable: (error) => !(error instanceof Error && error.message === "permanent") } });
  });
  afterAll(async () => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    await app.close();
  });

  it("passes maxWaitMs through: a burst of writes that never pauses for debounceMs is still delivered every maxWaitMs", async () => {
    const applyChanges = vi.spyOn(app.db, "applyChanges");
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      for (let i = 0; i < 30; i++) {
        app.store.todo.upsert(`burst${i}`, { title: `burst ${i}`, done: false, updatedAt: i });
        await vi.advanceTimersByTimeAsync(10); // a write every 10 ms: the 200 ms debounce never closes
      }
      expect(applyChanges.mock.calls.length).toBeGreaterThanOrEqual(5);
    } finally {
      vi.useRealTimers();
    }
    await app.flushEngine.flush();
    expect(await app.db.count("todo")).toBe(30);
    applyChanges.mockRestore();
  });

  it("writes a store batch's meta with its entities, and passes isRetriable through: a permanent failure is a dead letter, the rest is delivered", async () => {
    app.store.batch(() => app.store.note.upsert("n1", { body: "with a cursor", updatedAt: 1 }), { meta: { cursor: 41 } });
    await app.flushEngine.flush();
    expect(await app.db.getMeta("cursor")).toBe(41);
    expect(await app.db.getById("note", "n1")).toMatchObject({ body: "with a cursor" });

    const real = app.db.applyChanges.bind(app.db);
    const applyChanges = vi.spyOn(app.db, "applyChanges").mockImplementation((changes, context) =>
      changes.some((c) => c.entityId === "refused") ? Promise.reject(new Error("permanent")) : real(changes, context),
    );
    const dead: string[] = [];
    app.flushEngine.on("error", (event) => dead.push(event.error.code));
    app.store.note.upsert("refused", { body: "the target refuses it", updatedAt: 2 });
    app.store.note.upsert("fine", { body: "delivered", updatedAt: 3 });
    await app.flushEngine.flush();
    applyChanges.mockRestore();
    expect(app.flushEngine.getDeadLetters().map((d) => d.entityId)).toEqual(["refused"]);
    expect(dead).toEqual(["DEAD_LETTER"]);
    expect(await app.db.getById("note", "fine")).toMatchObject({ body: "delivered" });
    expect(await app.db.getById("note", "refused")).toBeUndefined();
    app.flushEngine.discardDeadLetters();
  });
});

describe("createKalphite: close({ timeoutMs }) with a hung database", () => {
  it("gives up when it expires, reporting what was not delivered", async () => {
    const app = await createKalphite({ schema: Entity, dbName: "memory://hung" });
    const hung = vi.spyOn(app.db, "applyChanges").mockImplementation(() => new Promise<void>(() => undefined));
    const reported: unknown[] = [];
    app.flushEngine.on("error", (event) => reported.push(...event.changes.map((c) => c.entityId)));
    app.store.todo.upsert("stuck", { title: "never acknowledged", done: false, updatedAt: 1 });
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      await expect(app.close({ timeoutMs: -5 })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
      const closing = app.close({ timeoutMs: 500 });
      const outcome = expect(closing).rejects.toMatchObject({ code: "CLOSE_TIMEOUT", changes: [expect.objectContaining({ entityId: "stuck" })] });
      await vi.advanceTimersByTimeAsync(1000);
      await outcome;
      expect(app.close()).toBe(closing);
    } finally {
      vi.useRealTimers();
      hung.mockRestore();
    }
    expect(reported).toContain("stuck");
  });
});

describe("createKalphite: stored entities today's schema refuses (quarantine)", () => {
  const dataDir = tempDir();
  const Loose = z.discriminatedUnion("type", [Todo.extend({ title: z.string() }), Note]);
  beforeAll(async () => {
    const before = await createKalphite({ schema: Loose, dataDir });
    before.store.todo.upsert("ok", { title: "fine", done: false, updatedAt: 1 });
    before.store.todo.upsert("empty", { title: "", done: false, updatedAt: 2 }); // valid then, not now (title .min(1))
    await before.close();
  });

  it("starts without them, reports them in app.invalid and to onInvalid, and keeps them in the database", async () => {
    const seen: unknown[] = [];
    const app = await createKalphite({ schema: Entity, dataDir, onInvalid: (rows) => seen.push(...rows.map((r) => r.entityId)) });
    try {
      expect(app.store.todo.map((t) => t.id)).toEqual(["ok"]);
      expect(app.invalid).toHaveLength(1);
      expect(app.invalid[0]).toMatchObject({ entityType: "todo", entityId: "empty", entity: { title: "" } });
      expect(app.invalid[0]!.error).toMatchObject({ code: "VALIDATION_FAILED", message: expect.stringContaining("title") });
      expect(seen).toEqual(["empty"]);
      app.store.todo.upsert("new", { title: "after start", done: true, updatedAt: 3 });
      await app.flushEngine.flush();
      expect(await app.db.count("todo")).toBe(3); // the quarantined row is still there
    } finally {
      await app.close();
    }
  });

  it("refuses to start with onInvalid: \"throw\" (the strict behaviour)", async () => {
    await expect(createKalphite({ schema: Entity, dataDir, onInvalid: "throw" })).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    const again = await createKalphite({ schema: Entity, dataDir }); // the failed start closed the database again
    expect(again.invalid.map((r) => r.entityId)).toEqual(["empty"]);
    await again.close();
  });
});
