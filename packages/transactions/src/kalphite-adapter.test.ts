import { createKalphiteStore, type Entity } from "@kalphite/store";
import { ModernSyncEngine, createOperationSyncServer, createPGliteSyncStorage, type OperationSyncServer } from "@kalphite/sync-ops";
import type { SyncStorage } from "@kalphite/sync-ops";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import type { Collection } from "./collection";
import { createKalphiteSync } from "./kalphite-adapter";
import { createCollection } from "./registry";
import { uniqueId } from "./test-helpers";

interface Todo extends Entity {
  type: "todo";
  title: string;
  done: boolean;
  [key: string]: unknown;
}

const todoSchema = z.object({ id: z.string(), type: z.literal("todo"), title: z.string().min(1), done: z.boolean() });

let storage: SyncStorage;
let server: OperationSyncServer;
beforeAll(async () => {
  storage = await createPGliteSyncStorage();
  server = await createOperationSyncServer({
    schema: { todo: todoSchema },
    storage,
    mutators: {
      addTodo: async (tx, id: string, title: string) => tx.upsert("todo", id, { title: `${title} (server)`, done: false }),
    },
  });
});
afterAll(async () => {
  await server?.close();
  await storage?.close();
});

const engines: ModernSyncEngine[] = [];
const collections: Collection<any>[] = [];
afterEach(async () => {
  for (const c of collections.splice(0)) await c.dispose();
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

async function client() {
  const engine = new ModernSyncEngine({ baseUrl: server.url, clientId: uniqueId("client"), userId: "ada", pullInterval: 0 });
  engines.push(engine);
  const store = createKalphiteStore<Todo>();
  const { sync, mutationFn } = createKalphiteSync<Todo>({ engine, store, entityType: "todo", id: uniqueId("kalphite-todos") });
  await engine.connect(); // its first pull reaches the store through the adapter
  const todos = createCollection<Todo>({ sync, mutationFn, persistence: false });
  collections.push(todos);
  await todos.ready;
  return { engine, store, todos };
}

const todo = (id: string, title: string): Todo => ({ id, type: "todo", title, done: false, updatedAt: 1 }) as Todo;

describe("createKalphiteSync", () => {
  it("pushes a transaction as operations and completes once pulled state shows them; other clients see it", async () => {
    const a = await client();
    const id = uniqueId("t");
    const tx = a.todos.insert(todo(id, "buy milk"));
    expect(a.todos.data[id]?.title).toBe("buy milk");
    const settled = await a.todos.whenSettled(tx);
    expect(settled.state).toBe("completed");
    expect(settled.attempts).toHaveLength(1);
    // The synced state came from the server's pull (and went to the store).
    expect(a.store.getById("todo", id)).toMatchObject({ id, title: "buy milk" });
    expect(a.todos.data[id]).toMatchObject({ id, type: "todo", title: "buy milk" });

    const b = await client();
    expect(b.todos.data[id]).toMatchObject({ title: "buy milk" }); // pulled at connect, into its store
    expect(b.store.getById("todo", id)).toMatchObject({ title: "buy milk" });

    // An update and a delete travel the same way.
    const up = b.todos.update(id, { done: true });
    expect((await b.todos.whenSettled(up)).state).toBe("completed");
    await a.engine.syncState();
    expect(a.todos.data[id]?.done).toBe(true);
    const del = a.todos.delete(id);
    expect((await a.todos.whenSettled(del)).state).toBe("completed");
    expect(a.todos.data[id]).toBeUndefined();
    await b.engine.syncState();
    expect(b.todos.data[id]).toBeUndefined();
    expect(b.store.getById("todo", id)).toBeUndefined();
  });

  it("fails a transaction the server refuses and rolls its optimistic update back", async () => {
    const a = await client();
    const id = uniqueId("bad");
    const tx = a.todos.insert(todo(id, "")); // the server's schema wants a title
    expect(a.todos.data[id]).toBeDefined();
    const settled = await a.todos.whenSettled(tx);
    expect(settled.state).toBe("failed");
    expect(settled.error?.error.name).toBe("NonRetriableError");
    expect(settled.error?.message).toMatch(/refused upserttodo/);
    expect(a.todos.data[id]).toBeUndefined();
  });

  it("pushes the transactions of an offline client once it connects, in order", async () => {
    const engine = new ModernSyncEngine({ baseUrl: server.url, clientId: uniqueId("offline"), userId: "ada", pullInterval: 0 });
    engines.push(engine);
    const store = createKalphiteStore<Todo>();
    const { sync, mutationFn } = createKalphiteSync<Todo>({ engine, store, entityType: "todo", id: uniqueId("offline-todos") });
    const todos = createCollection<Todo>({ sync, mutationFn, persistence: false });
    collections.push(todos);
    await todos.ready;
    const id = uniqueId("o");
    const t1 = todos.insert(todo(id, "first"));
    const t2 = todos.update(id, { title: "second" });
    await vi.waitFor(() => expect(t1.state).toBe("persisted_awaiting_sync"));
    expect(t2.state).toBe("queued");
    await engine.connect();
    expect((await todos.whenSettled(t2)).state).toBe("completed");
    expect(todos.data[id]?.title).toBe("second");
  });

  it("maps transactions to named operations with toOperations", async () => {
    const engine = new ModernSyncEngine({ baseUrl: server.url, clientId: uniqueId("named"), userId: "ada", pullInterval: 0 });
    engines.push(engine);
    const store = createKalphiteStore<Todo>();
    const { sync, mutationFn } = createKalphiteSync<Todo>({
      engine,
      store,
      entityType: "todo",
      id: uniqueId("named-todos"),
      toOperations: ({ changes }) => Object.entries(changes).map(([id, c]) => ({ name: "addTodo", args: [id, c?.["title"]] })),
    });
    await engine.connect();
    const todos = createCollection<Todo>({ sync, mutationFn, persistence: false });
    collections.push(todos);
    await todos.ready;
    const id = uniqueId("n");
    const tx = todos.insert(todo(id, "named"));
    expect(todos.data[id]?.title).toBe("named");
    expect((await todos.whenSettled(tx)).state).toBe("completed");
    expect(todos.data[id]?.title).toBe("named (server)"); // the server's mutator decided
  });

  it("refuses bad options", () => {
    expect(() => createKalphiteSync({ engine: {} as never, store: createKalphiteStore(), entityType: "todo" })).toThrow(/ModernSyncEngine/);
    const engine = new ModernSyncEngine({ baseUrl: server.url, clientId: "x", userId: "y" });
    engines.push(engine);
    expect(() => createKalphiteSync({ engine, store: {} as never, entityType: "todo" })).toThrow(/store/);
    expect(() => createKalphiteSync({ engine, store: createKalphiteStore(), entityType: "" })).toThrow(/entityType/);
  });
});
