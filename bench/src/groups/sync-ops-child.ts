import { createRequire } from "node:module";
import { nowMs } from "../harness/timing";
import type { Measurements } from "../harness/types";
import type { SyncOpsParams } from "./sync-ops";

type SyncOps = typeof import("@kalphite/sync-ops");

async function storageFor(sync: SyncOps, impl: string, params: SyncOpsParams): Promise<{ storage: Awaited<ReturnType<SyncOps["createPGliteSyncStorage"]>>; drop: () => Promise<void> }> {
  if (impl === "pglite") {
    const storage = await sync.createPGliteSyncStorage();
    return { storage, drop: async () => storage.close() };
  }
  const adminUrl = params.postgresUrl;
  if (!adminUrl) throw new Error("postgres needs postgresUrl");
  // node-postgres is a dependency of @kalphite/sync-ops, not of the bench: load it from there.
  const pg = createRequire(new URL("../../../packages/sync-ops/package.json", import.meta.url))("pg") as {
    Client: new (options: { connectionString: string }) => { connect(): Promise<void>; query(sql: string): Promise<unknown>; end(): Promise<void> };
  };
  const name = `kalphite_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const storage = await sync.createPostgresSyncStorage({ connectionString: url.toString() });
  return {
    storage,
    drop: async () => {
      await storage.close();
      const again = new pg.Client({ connectionString: adminUrl });
      await again.connect();
      await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await again.end();
    },
  };
}

/** Child of the sync-ops group: one server, its clients, the four workloads. */
export async function runSyncOpsChild(impl: string, raw: Record<string, unknown>): Promise<Measurements> {
  const params = raw as unknown as SyncOpsParams;
  const sync: SyncOps = await import("@kalphite/sync-ops");
  const { z } = await import("zod");
  const todo = z.object({ id: z.string(), type: z.literal("todo"), title: z.string().min(1), done: z.boolean() });
  const { storage, drop } = await storageFor(sync, impl, params);
  const server = await sync.createOperationSyncServer({
    storage,
    schema: { todo, note: todo.extend({ type: z.literal("note") }) },
    mutators: {
      addTodo: async (tx, id: string, title: string) => tx.upsert("todo", id, { title, done: false }),
      addNote: async (tx, id: string, title: string) => tx.upsert("note", id, { title, done: false }),
    },
  });
  const notify = `${server.url.replace("http", "ws")}/sync/notify`;
  let seq = 0;
  const engine = (config: Partial<import("@kalphite/sync-ops").ModernSyncEngineConfig> = {}) =>
    new sync.ModernSyncEngine({ baseUrl: server.url, clientId: `bench-${impl}-${process.pid}-${++seq}`, userId: "bench", batchSize: params.batch, offlineQueueLimit: 1_000_000, pullInterval: 0, ...config });

  const pushAll = async (clients: number, perClient: number): Promise<number> => {
    // These clients only push: they pull no entities (the full state grows with every run).
    const engines = Array.from({ length: clients }, () => engine({ entityTypes: ["none"] }));
    await Promise.all(engines.map((e) => e.connect()));
    const start = nowMs();
    await Promise.all(
      engines.map(async (e, c) => {
        const queued: Promise<void>[] = [];
        for (let i = 0; i < perClient; i++) queued.push(e.executeOperation("addTodo", [`t-${seq}-${c}-${i}`, `todo ${i}`]));
        await Promise.all(queued);
        await e.flush();
      }),
    );
    const elapsed = nowMs() - start;
    await Promise.all(engines.map((e) => e.close()));
    return elapsed;
  };

  try {
    const out: Measurements = {};
    // Warm-up (JIT, tables, PGlite caches): the first few thousand operations run several times slower.
    await pushAll(1, Math.min(5000, params.single));
    await pushAll(Math.min(10, params.clients), 100);
    out["push-1"] = await pushAll(1, params.single);
    out["push-50"] = await pushAll(params.clients, params.perClient);

    // The latency run writes notes, and its clients pull notes only (not the todos pushed above).
    const listeners = Array.from({ length: params.listeners }, () => engine({ notificationUrl: notify, entityTypes: ["note"] }));
    await Promise.all(listeners.map((e) => e.connect()));
    const sender = listeners[0]!;
    const latencies: number[] = [];
    for (let i = 0; i < params.samples + 5; i++) {
      const receiver = listeners[1 + Math.floor(Math.random() * (listeners.length - 1))]!;
      const id = `visible-${i}`;
      const start = nowMs();
      const seen = new Promise<void>((resolve) => {
        const off = receiver.onStatePatch((patch) => {
          if (patch.entities.some((e) => e.id === id)) {
            off();
            resolve();
          }
        });
      });
      await sender.executeOperation("addNote", [id, "visible"]);
      await seen;
      if (i >= 5) latencies.push(nowMs() - start);
      // Let every listener's pull finish before the next sample.
      while (listeners.some((e) => e.getCurrentStateVersion() !== sender.getCurrentStateVersion())) await new Promise((r) => setTimeout(r, 1));
    }
    latencies.sort((a, b) => a - b);
    out["visible-p50"] = latencies[Math.floor(latencies.length * 0.5)]!;
    out["visible-p99"] = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))]!;
    await Promise.all(listeners.map((e) => e.close()));
    return out;
  } finally {
    await server.close();
    await drop();
  }
}
