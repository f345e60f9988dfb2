import { expect, it } from "vitest";
import { z } from "zod";
import { ModernSyncEngine, createOperationSyncServer, createPGliteSyncStorage } from "./index";

it("the README example works", async () => {
  const log: string[] = [];
  const todo = z.object({ id: z.string(), type: z.literal("todo"), title: z.string().min(1), done: z.boolean() });

  const server = await createOperationSyncServer({
    storage: await createPGliteSyncStorage(),
    schema: { todo },
    authenticate: (token) => token === "secret",
    mutators: {
      addTodo: async (tx, id: string, title: string) => tx.upsert("todo", id, { title, done: false }),
      completeTodo: async (tx, id: string) => {
        const current = await tx.get("todo", id);
        if (!current) throw new Error(`no todo ${id}`);
        await tx.upsert("todo", id, { ...current, done: true });
      },
    },
  });

  const engine = new ModernSyncEngine({
    baseUrl: server.url,
    notificationUrl: `${server.url.replace("http", "ws")}/sync/notify`,
    clientId: "laptop-1",
    userId: "ada",
    authToken: "secret",
  });
  const patches: unknown[] = [];
  engine.onStatePatch((patch) => patches.push(patch));
  engine.onOperationConfirmed((op) => log.push(`confirmed ${op.name} ${op.id}`));
  engine.onOperationFailed(({ operation, error }) => log.push(`refused ${operation.name} ${error}`));

  await engine.connect();
  await engine.executeOperation("addTodo", ["t1", "Buy milk"]);
  await engine.executeOperation("completeTodo", ["t1"]);
  await engine.flush();
  await engine.sendChange({ type: "upsert", entityType: "todo", entityId: "t2", entity: { id: "t2", type: "todo", title: "Eggs", done: false } });
  await engine.flush();
  await engine.syncState();

  expect(log).toEqual(["confirmed addTodo 1", "confirmed completeTodo 2", "confirmed upserttodo 3"]);
  const state = await server.storage.readState({});
  expect(state.entities).toEqual([
    { id: "t1", type: "todo", title: "Buy milk", done: true },
    { id: "t2", type: "todo", title: "Eggs", done: false },
  ]);
  expect(patches.length).toBeGreaterThan(0);

  await engine.close();
  await server.close();
  await server.storage.close();
});
