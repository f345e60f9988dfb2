import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it, vi } from "vitest";
import { z } from "zod";
import { createOperationSyncServer, createPGliteSyncStorage, type OperationSyncServer } from "@kalphite/sync-ops";
import { createWebSocketSyncServer } from "@kalphite/sync-ws";
import type { ClientMutatorTransaction } from "@kalphite/coordinator";
import { KalphiteError, createKalphite, type Kalphite } from "../src/index";

const Todo = z.object({ id: z.string(), type: z.literal("todo"), title: z.string().min(1), done: z.boolean() });
const Draft = z.object({ id: z.string(), type: z.literal("draft"), text: z.string() });
const Entity = z.discriminatedUnion("type", [Todo, Draft]);
type Entity = z.infer<typeof Entity>;

/** The same mutators on both sides (the server's `tx` has the same four methods). */
const mutators = {
  addTodo: async (tx: ClientMutatorTransaction, args: { id: string; title: string }) => {
    if (await tx.get("todo", args.id)) throw new Error(`todo ${args.id} exists`);
    await tx.upsert("todo", args.id, { title: args.title, done: false });
  },
  completeTodo: async (tx: ClientMutatorTransaction, args: { id: string }) => {
    const todo = await tx.get<z.infer<typeof Todo>>("todo", args.id);
    if (!todo) throw new Error(`no todo ${args.id}`);
    await tx.upsert("todo", args.id, { ...todo, done: true });
  },
};

const tempDir = () => mkdtempSync(join(tmpdir(), "kalphite-sync-"));
const fast = { retryDelayMs: 20, maxRetryDelayMs: 200 } as const;
const titles = (app: Kalphite<Entity, any>) => app.store.todo.map((t) => `${t.title}${t.done ? " ✓" : ""}`).sort();

async function startOpsServer(port = 0, dataDir?: string): Promise<OperationSyncServer> {
  return createOperationSyncServer({
    port,
    storage: await createPGliteSyncStorage(dataDir === undefined ? {} : { dataDir }),
    // Stricter than the clients' schema: a long title passes locally and is refused here.
    schema: { todo: Todo.extend({ title: z.string().min(1).max(40) }) },
    authenticate: (token) => token === "secret",
    mutators: mutators as never,
  });
}
const stop = async (server: OperationSyncServer) => {
  await server.close();
  await server.storage.close();
};

describe("createKalphite({ sync }): options", () => {
  it.each([
    ["a sync that is not an object", "http://x", "options.sync must be an object"],
    ["no url", {}, "options.sync.url must be the server's URL"],
    ["a URL that is not one", { url: "not a url" }, "options.sync.url is not a URL"],
    ["another scheme", { url: "ftp://host" }, "must be http(s):// or ws(s)://"],
    ["an unknown mode", { url: "http://127.0.0.1:1", mode: "crdt" }, 'options.sync.mode must be "operations" or "entities"'],
    ["mutators in entities mode", { url: "http://127.0.0.1:1", mode: "entities", mutators }, "need mode \"operations\""],
    ["a mutator that is not a function", { url: "http://127.0.0.1:1", mutators: { addTodo: 1 } }, "options.sync.mutators.addTodo must be a function"],
    ["an empty token", { url: "http://127.0.0.1:1", authToken: "" }, "options.sync.authToken must be a non-empty string"],
    ["entity types that are not names", { url: "http://127.0.0.1:1", entityTypes: [1] }, "options.sync.entityTypes"],
  ])("refuses %s with INVALID_CONFIG before opening anything", async (_what, sync, message) => {
    const attempt = createKalphite({ schema: Entity, dbName: "memory://", sync: sync as never });
    await expect(attempt).rejects.toBeInstanceOf(KalphiteError);
    await expect(attempt).rejects.toMatchObject({ code: "INVALID_CONFIG", message: expect.stringContaining(message) });
  });

  it("types kalphite.mutate from the mutators", () => {
    type App = Kalphite<Entity, typeof mutators>;
    expectTypeOf<Parameters<App["mutate"]["addTodo"]>>().toEqualTypeOf<[args: { id: string; title: string }]>();
    expectTypeOf<App["mutate"]["completeTodo"]>().returns.toEqualTypeOf<Promise<void>>();
    // @ts-expect-error not a mutator
    type _None = App["mutate"]["nope"];
  });
});

describe("operations mode with mutators: two clients, one server", () => {
  let server: OperationSyncServer;
  let a: Kalphite<Entity, typeof mutators>;
  let b: Kalphite<Entity, typeof mutators>;
  const dirA = tempDir();
  const dirB = tempDir();
  beforeAll(async () => {
    server = await startOpsServer();
    const sync = { url: server.url, authToken: "secret", mutators, entityTypes: ["todo"], ...fast };
    [a, b] = await Promise.all([createKalphite({ schema: Entity, dataDir: dirA, sync }), createKalphite({ schema: Entity, dataDir: dirB, sync })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await stop(server);
  });

  it("runs a mutator speculatively, the server confirms it, the other client sees it", async () => {
    await a.sync!.disconnect();
    const done = a.mutate.addTodo({ id: "t1", title: "Buy milk" });
    // Shown while offline: speculative, before the server has it.
    await vi.waitFor(() => expect(titles(a)).toEqual(["Buy milk"]));
    await vi.waitFor(() => expect(a.sync!.status()).toMatchObject({ connection: "disconnected", pendingOperations: 1 }));
    await a.sync!.connect();
    await done;
    await vi.waitFor(() => expect(titles(b)).toEqual(["Buy milk"]), { timeout: 10_000 });
    await b.mutate.completeTodo({ id: "t1" });
    await vi.waitFor(() => expect(titles(a)).toEqual(["Buy milk ✓"]), { timeout: 10_000 });
    expect(a.sync!.status()).toMatchObject({ mode: "operations", connection: "connected", pendingOperations: 0, room: "default" });
    expect(Number(a.sync!.status().stateVersion)).toBeGreaterThanOrEqual(2);
  });

  it("an operation the server refuses rejects, is reported and rolled back", async () => {
    const rejected = vi.fn();
    const off = a.sync!.onRejected(rejected);
    // b adds t2 first; a, not having seen it, adds t2 too: the server refuses a's.
    await a.sync!.disconnect();
    await b.mutate.addTodo({ id: "t2", title: "From b" });
    const attempt = a.mutate.addTodo({ id: "t2", title: "From a" });
    await vi.waitFor(() => expect(titles(a)).toContain("From a"));
    await a.sync!.connect();
    await expect(attempt).rejects.toMatchObject({ code: "REJECTED", message: expect.stringContaining("todo t2 exists") });
    await a.sync!.flush();
    expect(titles(a)).toEqual(["Buy milk ✓", "From b"]);
    expect(rejected).toHaveBeenCalledWith(expect.objectContaining({ name: "addTodo", error: expect.stringContaining("todo t2 exists") }));
    off();
  });

  it("local-only types never leave the client", async () => {
    a.store.draft.upsert("d1", { text: "mine" });
    await a.sync!.flush();
    await b.sync!.flush();
    expect(b.store.draft.length).toBe(0);
    expect(a.store.draft.length).toBe(1);
  });
});

describe("offline first: no server at start, converges when it comes up", () => {
  it("starts, works, keeps pending operations across a restart, and delivers them", async () => {
    const probe = await startOpsServer();
    const port = Number(new URL(probe.url).port);
    await stop(probe); // the port is free now: nothing listens there
    const dataDir = tempDir();
    const sync = { url: `http://127.0.0.1:${port}`, authToken: "secret", mutators, ...fast };
    const app = await createKalphite({ schema: Entity, dataDir, sync });
    expect(app.sync!.status().connection).not.toBe("connected");
    void app.mutate.addTodo({ id: "o1", title: "Offline" }).catch(() => undefined);
    await vi.waitFor(() => expect(app.sync!.status().pendingOperations).toBe(1));
    expect(titles(app)).toEqual(["Offline"]);
    await app.close(); // nothing pending only in memory: the operation and the store are on disk

    const server = await startOpsServer(port);
    try {
      const again = await createKalphite({ schema: Entity, dataDir, sync });
      expect(titles(again)).toEqual(["Offline"]);
      await again.sync!.flush();
      expect(again.sync!.status()).toMatchObject({ connection: "connected", pendingOperations: 0 });
      expect(titles(again)).toEqual(["Offline"]);
      const state = await server.storage.readState({});
      expect(state.entities.map((e) => e.id)).toEqual(["o1"]);
      await again.close();
    } finally {
      await stop(server);
    }
  }, 60_000);

  it("refuses a wrong token: nothing is applied, status says so", async () => {
    const server = await startOpsServer();
    try {
      const app = await createKalphite({ schema: Entity, dbName: "memory://", sync: { url: server.url, authToken: "wrong", mutators, ...fast } });
      const errors: Error[] = [];
      app.sync!.onError((e) => errors.push(e));
      void app.mutate.addTodo({ id: "x", title: "Nope" }).catch(() => undefined);
      await vi.waitFor(() => expect(errors.some((e) => /401|UNAUTHORIZED|unauthori/i.test(`${e.message} ${(e as { code?: string }).code}`))).toBe(true));
      expect(app.sync!.status().connection).not.toBe("connected");
      expect((await server.storage.readState({})).entities).toEqual([]);
      await app.close();
    } finally {
      await stop(server);
    }
  }, 30_000);
});

describe("operations mode without mutators: plain writes as upsert<type>/delete<type>", () => {
  it("syncs store writes both ways; a write the server refuses is rolled back", async () => {
    const server = await startOpsServer();
    const sync = { url: server.url, authToken: "secret", entityTypes: ["todo"], ...fast };
    const [a, b] = await Promise.all([createKalphite({ schema: Entity, dbName: "memory://", sync }), createKalphite({ schema: Entity, dbName: "memory://", sync })]);
    try {
      a.store.todo.upsert("p1", { title: "Plain", done: false });
      await a.sync!.flush();
      await vi.waitFor(() => expect(titles(b)).toEqual(["Plain"]), { timeout: 10_000 });
      b.store.todo.delete("p1");
      await b.sync!.flush();
      await vi.waitFor(() => expect(titles(a)).toEqual([]), { timeout: 10_000 });

      const rejected = vi.fn();
      a.sync!.onRejected(rejected);
      a.store.todo.upsert("p2", { title: "Kept", done: false });
      await a.sync!.flush();
      a.store.todo.update("p2", (d) => {
        d.title = "x".repeat(60); // the server's schema allows 40
      });
      expect(titles(a)).toEqual(["x".repeat(60)]);
      await a.sync!.flush();
      expect(rejected).toHaveBeenCalledWith(expect.objectContaining({ name: "upserttodo" }));
      await vi.waitFor(() => expect(titles(a)).toEqual(["Kept"]), { timeout: 10_000 });
      await vi.waitFor(() => expect(titles(b)).toEqual(["Kept"]), { timeout: 10_000 });
    } finally {
      await Promise.all([a.close(), b.close()]);
      await stop(server);
    }
  }, 60_000);
});

describe("entities mode: NetworkSyncEngine + bindStore", () => {
  it("two clients see each other's writes; close leaves the queue on disk", async () => {
    const server = await createWebSocketSyncServer({ authenticate: (req: { token?: string }) => req.token === "secret" } as never);
    const sync = { url: server.url.replace(/^ws/, "http").replace(/\/sync\/ws$/, ""), mode: "entities", authToken: "secret", ...fast } as const;
    const dirA = tempDir();
    const [a, b] = await Promise.all([createKalphite({ schema: Entity, dataDir: dirA, sync }), createKalphite({ schema: Entity, dbName: "memory://", sync })]);
    try {
      await vi.waitFor(() => expect(a.sync!.status().connection).toBe("connected"), { timeout: 10_000 });
      a.store.todo.upsert("e1", { title: "Entity", done: false });
      await a.sync!.flush();
      await vi.waitFor(() => expect(titles(b)).toEqual(["Entity"]), { timeout: 10_000 });
      b.store.todo.update("e1", (d) => {
        d.done = true;
      });
      await vi.waitFor(() => expect(titles(a)).toEqual(["Entity ✓"]), { timeout: 10_000 });
      expect(a.sync!.status()).toMatchObject({ mode: "entities", pendingOperations: 0 });
    } finally {
      await Promise.all([a.close(), b.close()]);
      await server.close();
    }
  }, 60_000);
});

describe("operations mode with toOperations: store batches become named operations", () => {
  it("sends the translated operation, and rolls the batch back to the server's version when it is refused", async () => {
    const server = await startOpsServer();
    const toOperations = (changes: readonly { operation: string; entityType: string; entityId: string; entity?: unknown; previous?: unknown }[]) => {
      const [only] = changes;
      if (changes.length !== 1 || only!.operation !== "upsert" || only!.entityType !== "todo") return undefined;
      const todo = only!.entity as { id: string; title: string; done: boolean };
      return todo.done ? undefined : [{ name: "addTodo", args: [{ id: todo.id, title: todo.title }] }];
    };
    const sync = { url: server.url, authToken: "secret", entityTypes: ["todo"], toOperations, ...fast };
    const [a, b] = await Promise.all([createKalphite({ schema: Entity, dbName: "memory://", sync }), createKalphite({ schema: Entity, dbName: "memory://", sync })]);
    try {
      const names: string[] = [];
      (a.sync!.engine as import("@kalphite/sync-ops").ModernSyncEngine).onOperationConfirmed((op) => names.push(op.name));
      a.store.todo.upsert("n1", { title: "Named", done: false });
      await a.sync!.flush();
      expect(names).toEqual(["addTodo"]);
      await vi.waitFor(() => expect(titles(b)).toEqual(["Named"]), { timeout: 10_000 });

      // b writes n2 while a is offline; a's own addTodo of n2 is refused (it exists) and rolled back to b's.
      await a.sync!.disconnect();
      b.store.todo.upsert("n2", { title: "B's", done: false });
      await b.sync!.flush();
      const rejected = vi.fn();
      a.sync!.onRejected(rejected);
      a.store.todo.upsert("n2", { title: "A's", done: false });
      expect(titles(a)).toEqual(["A's", "Named"]);
      await a.sync!.connect();
      await a.sync!.flush();
      expect(rejected).toHaveBeenCalledWith(expect.objectContaining({ name: "addTodo", error: expect.stringContaining("todo n2 exists") }));
      await vi.waitFor(() => expect(titles(a)).toEqual(["B's", "Named"]), { timeout: 10_000 });
    } finally {
      await Promise.all([a.close(), b.close()]);
      await stop(server);
    }
  }, 60_000);

  it("cannot be combined with mutators", async () => {
    await expect(createKalphite({ schema: Entity, dbName: "memory://", sync: { url: "http://127.0.0.1:1", mutators, toOperations: () => undefined } as never })).rejects.toMatchObject({ code: "INVALID_CONFIG" });
  });
});
