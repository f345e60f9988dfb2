// The same mutators speculatively on two clients (@kalphite/coordinator's
// optimistic client over a real ModernSyncEngine) and authoritatively on a
// real operation-sync server (HTTP + WebSocket on 127.0.0.1, in-memory PGlite).
import { createOptimisticClient } from "@kalphite/coordinator";
import { createKalphiteStore } from "@kalphite/store";
import { ModernSyncEngine, createOperationSyncServer, type OperationSyncServer } from "@kalphite/sync-ops";
import { afterAll, beforeAll, expect, it } from "vitest";
import { todoMutators } from "./mutators";
import { EntitySchema, todoEntitySchemas, type Todo } from "./schema";

let server: OperationSyncServer;
beforeAll(async () => {
  server = await createOperationSyncServer({ mutators: todoMutators, schema: todoEntitySchemas, onError: () => {} });
}, 120_000);
afterAll(async () => {
  await server?.close();
});

function client(name: string) {
  const store = createKalphiteStore(EntitySchema);
  const engine = new ModernSyncEngine({ baseUrl: server.url, clientId: name, userId: name, pullInterval: 0, notificationUrl: `${server.url.replace("http", "ws")}/sync/notify` });
  engine.on("error", () => {});
  const optimistic = createOptimisticClient({ store, engine, mutators: todoMutators, onError: () => {} });
  return { store, engine, optimistic };
}

const T0 = Date.UTC(2026, 0, 15, 9);

it("runs the todo mutators speculatively on clients and authoritatively on the server, with the same result", async () => {
  const a = client("alice");
  const b = client("bob");
  await Promise.all([a.engine.connect(), b.engine.connect()]);
  try {
    // Speculative: in alice's store once the (async) mutator has run, without waiting for the server.
    const added = a.optimistic.mutate.addTodo({ id: "w1", title: "Water plants", now: T0, due: "2026-01-14", every: "week", project: "Home", projectId: "home" });
    await a.optimistic.whenIdle();
    expect(a.store.todo.findById("w1")).toMatchObject({ title: "Water plants", project: "Home" });
    expect(a.store.project.findById("home")).toMatchObject({ name: "Home" });
    await added;

    await b.engine.syncState();
    await b.optimistic.whenIdle();
    expect(b.store.todo.findById("w1")).toEqual(a.store.todo.findById("w1"));

    // A recurring todo: the next occurrence is derived from the args alone, so both sides agree on it.
    await b.optimistic.mutate.completeTodo({ id: "w1", now: T0 + 1, today: "2026-01-15", nextId: "w2" });
    await a.engine.syncState();
    await a.optimistic.whenIdle();
    expect(a.store.todo.findById("w2")).toMatchObject({ due: "2026-01-21", completed: false });
    const state = await fetch(`${server.url}/sync/state`, { method: "POST", body: JSON.stringify({ stateVersion: "" }) }).then((r) => r.json() as Promise<{ entities: Todo[] }>);
    const serverTodos = state.entities.filter((e) => e.type === "todo").sort((x, y) => x.id.localeCompare(y.id));
    expect([...a.store.todo].sort((x, y) => x.id.localeCompare(y.id))).toEqual(serverTodos);
    expect([...b.store.todo].sort((x, y) => x.id.localeCompare(y.id))).toEqual(serverTodos);

    // A refusal on the server (the project exists there, created by alice) rolls back bob's speculative write.
    await b.engine.syncState();
    await b.optimistic.whenIdle();
    await expect(b.optimistic.mutate.addProject({ id: "home2", name: "home", now: T0 + 2 })).rejects.toBeDefined();
    expect(b.store.project.findById("home2")).toBeUndefined();
  } finally {
    a.optimistic.dispose();
    b.optimistic.dispose();
    await Promise.all([a.engine.close(), b.engine.close()]);
  }
}, 60_000);
