import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KalphiteStore } from "@kalphite/store";
import { ModernSyncEngine, createOperationSyncServer, type OperationSyncServer } from "@kalphite/sync-ops";
import { NetworkSyncEngine, bindStore, createWebSocketSyncServer, type WebSocketSyncServer } from "@kalphite/sync-ws";
import { todoEntitySchemas, todoMutators } from "@kalphite/todo-model";
import { runWireFuzz } from "../fuzz/wire-fuzz";

/** CI sends a few hundred messages; `pnpm test:fuzz` sets KALPHITE_FUZZ_COUNT=100000. */
const COUNT = Number(process.env["KALPHITE_FUZZ_COUNT"] ?? 400);
const SEED = Number(process.env["KALPHITE_FUZZ_SEED"] ?? 1);

let ops: OperationSyncServer;
let ws: WebSocketSyncServer;
const serverErrors: unknown[] = [];

beforeAll(async () => {
  // The real servers on 127.0.0.1: sync-ops on its default PGlite storage, sync-ws in memory.
  ops = await createOperationSyncServer({ mutators: todoMutators, schema: todoEntitySchemas, onError: (e) => serverErrors.push(e) });
  ws = await createWebSocketSyncServer({ port: 0, rateLimit: false, onError: (e) => serverErrors.push(e) });
});

afterAll(async () => {
  await Promise.all([ops?.close(), ws?.close()]);
});

describe("wire fuzzer", () => {
  it(`answers ${COUNT} generated and mutated messages (4xx, error frame, reply or close; never 5xx or silence), then normal clients still sync`, { timeout: Math.max(120_000, COUNT * 20) }, async () => {
    const report = await runWireFuzz(
      { opsUrl: ops.url, wsUrl: ws.url },
      { count: COUNT, seed: SEED, onProgress: COUNT >= 10_000 ? (n) => process.stdout.write(`  fuzz: ${n}/${COUNT}\n`) : undefined },
    );
    if (COUNT >= 10_000 || report.failures.length > 0) {
      console.log(`wire fuzz: ${report.messages} messages in ${(report.wallMs / 1000).toFixed(1)} s, seed ${SEED}\n${Object.entries(report.outcomes).sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${String(v).padStart(7)}  ${k}`).join("\n")}`);
    }
    expect(report.messages).toBe(COUNT);
    expect(report.failures).toEqual([]);
    // Several kinds of answer were exercised, refusals included.
    expect(Object.keys(report.outcomes).some((k) => k.startsWith("http 4"))).toBe(true);
    expect(Object.keys(report.outcomes).some((k) => k.startsWith("ws error") || k.startsWith("ws close"))).toBe(true);

    // sync-ops: one client's operation reaches a fresh client.
    const writer = new ModernSyncEngine({ baseUrl: ops.url, clientId: "after-fuzz-writer", userId: "ada" });
    await writer.connect();
    await writer.executeOperation("addTodo", [{ id: "after-fuzz", title: "still syncs", now: 1_700_000_000_000 }]);
    await writer.flush();
    const reader = new ModernSyncEngine({ baseUrl: ops.url, clientId: "after-fuzz-reader", userId: "bob" });
    const seen: string[] = [];
    reader.onStatePatch((patch) => seen.push(...patch.entities.map((e) => `${e.type}/${e.id}`)));
    await reader.syncState();
    expect(seen).toContain("todo/after-fuzz");
    await Promise.all([writer.close(), reader.close()]);

    // sync-ws: a change made on one bound store arrives on another.
    interface Item { id: string; type: "item"; title: string; updatedAt: number }
    const alice = KalphiteStore<Item>();
    const bob = KalphiteStore<Item>();
    const engines = [alice, bob].map((store, i) => {
      const engine = new NetworkSyncEngine({ wsUrl: ws.url, roomId: "after-fuzz", userId: `user${i}` });
      bindStore(store, engine);
      return engine;
    });
    await Promise.all(engines.map((e) => e.connect()));
    const arrived = new Promise<void>((resolve) => engines[1]!.on("remoteChange", (c) => c.entityId === "w1" && resolve()));
    alice.item.upsert("w1", { title: "still syncs", updatedAt: 1 });
    await engines[0]!.flush();
    await arrived;
    expect(bob.item.findById("w1")?.title).toBe("still syncs");
    await Promise.all(engines.map((e) => e.disconnect()));
  });
});
