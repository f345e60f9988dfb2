import { KalphiteStore } from "@kalphite/store";
import { expect, it } from "vitest";
import { bindStore, createWebSocketSyncServer, NetworkSyncEngine } from "@kalphite/sync-ws";
import { eventually } from "./test-helpers";

// The README's first example, as written there (plus the wait for bob).
it("README example: two stores converge through the server", async () => {
  const server = await createWebSocketSyncServer({
    port: 0,
    authenticate: ({ token }) => token === "secret",
  });
  try {
    interface Todo { id: string; type: "todo"; title: string; done: boolean; updatedAt: number }
    const alice = KalphiteStore<Todo>();
    const bob = KalphiteStore<Todo>();
    const engines = [alice, bob].map((store, i) => {
      const engine = new NetworkSyncEngine({ wsUrl: server.url, roomId: "team", userId: `user${i}`, authToken: "secret" });
      bindStore(store, engine);
      return engine;
    });
    await Promise.all(engines.map((engine) => engine.connect()));

    alice.todo.upsert("t1", { title: "Ship it", done: false, updatedAt: Date.now() });
    await engines[0]!.flush();
    await eventually(() => bob.todo.findById("t1") !== undefined, "bob has t1");
    expect(bob.todo.findById("t1")).toMatchObject({ id: "t1", type: "todo", title: "Ship it", done: false });

    await Promise.all(engines.map((engine) => engine.disconnect()));
  } finally {
    await server.close();
  }
});
