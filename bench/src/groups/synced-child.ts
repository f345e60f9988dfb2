import { nowMs } from "../harness/timing";
import type { Measurements } from "../harness/types";
import type { SyncedParams } from "./synced";

/** Child of the synced group: one server, `clients` createKalphite clients, write → visible elsewhere. */
export async function runSyncedChild(impl: string, raw: Record<string, unknown>): Promise<Measurements> {
  const params = raw as unknown as SyncedParams;
  const { createKalphite } = await import("kalphite");
  const { createOperationSyncServer } = await import("@kalphite/sync-ops");
  const { createWebSocketSyncServer } = await import("@kalphite/sync-ws");
  const { z } = await import("zod");
  const Todo = z.object({ id: z.string(), type: z.literal("todo"), title: z.string().min(1), done: z.boolean() });
  const Entity = z.discriminatedUnion("type", [Todo]);
  type Tx = import("@kalphite/sync-ops").MutatorTransaction;
  const mutators = { addTodo: async (tx: Tx, args: { id: string; title: string }) => tx.upsert("todo", args.id, { title: args.title, done: false }) };

  let url: string;
  let stop: () => Promise<void>;
  if (impl === "operations") {
    const server = await createOperationSyncServer({ mutators, schema: { todo: Todo } });
    url = server.url;
    stop = async () => {
      await server.close();
      await server.storage.close();
    };
  } else {
    const server = await createWebSocketSyncServer({});
    url = server.url;
    stop = () => server.close();
  }
  const sync = impl === "operations" ? { url, mutators, pullIntervalMs: 0 } : { url, mode: "entities" as const };
  const clients = [];
  // A few at a time: PGlite start-up is CPU-bound.
  for (let i = 0; i < params.clients; i += 4) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(4, params.clients - i) }, () => createKalphite({ schema: Entity, dbName: "memory://", sync, flush: { debounceMs: 50 } })))));
  }
  try {
    for (const c of clients) {
      while (c.sync!.status().connection !== "connected") await new Promise((r) => setTimeout(r, 10));
    }
    const sender = clients[0]!;
    const latencies: number[] = [];
    for (let i = 0; i < params.samples + 5; i++) {
      const receiver = clients[1 + Math.floor(Math.random() * (clients.length - 1))]!;
      const id = `visible-${i}`;
      const seen = new Promise<void>((resolve) => {
        const off = receiver.store.subscribe((changes) => {
          if (changes.some((c) => c.entityId === id)) {
            off();
            resolve();
          }
        });
      });
      const start = nowMs();
      if (impl === "operations") void (sender as { mutate: { addTodo(a: { id: string; title: string }): Promise<void> } }).mutate.addTodo({ id, title: "visible" });
      else sender.store.todo.upsert(id, { title: "visible", done: false });
      await seen;
      if (i >= 5) latencies.push(nowMs() - start);
      // Every client has it before the next sample (their pulls would otherwise overlap it).
      while (clients.some((c) => c.store.todo.findById(id) === undefined)) await new Promise((r) => setTimeout(r, 1));
    }
    latencies.sort((a, b) => a - b);
    return {
      "visible-p50": latencies[Math.floor(latencies.length * 0.5)]!,
      "visible-p99": latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))]!,
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await stop();
  }
}
