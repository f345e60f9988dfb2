import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { KalphiteStore } from "@kalphite/store";
import { bindStore, NetworkSyncEngine } from "@kalphite/sync-ws";
import { WebSocket } from "ws";
import { nowMs } from "../harness/timing";
import type { Measurements } from "../harness/types";
import type { SyncWsParams } from "./sync-ws";

const SERVER = fileURLToPath(new URL("./sync-ws-server.ts", import.meta.url));
const BENCH_ROOT = fileURLToPath(new URL("../..", import.meta.url));

interface BenchTodo {
  id: string;
  type: "todo";
  title: string;
  done: boolean;
  updatedAt: number;
}

/** One client: sends a change, and calls `onRemote(id)` when another client's change is visible. */
interface BenchClient {
  send(id: string, n: number): void;
  onRemote: (id: string) => void;
  close(): Promise<void>;
}

function startServer(impl: string, dataDir: string | undefined): Promise<{ process: ChildProcess; port: number }> {
  const child = fork(SERVER, [impl, ...(dataDir ? [dataDir] : [])], { cwd: BENCH_ROOT, execArgv: ["--expose-gc", ...(process.env.BENCH_SERVER_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_SERVER_PROF}`] : []), "--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`bench server exited (${code})`)));
    child.once("message", (m: { port: number }) => resolve({ process: child, port: m.port }));
  });
}

function ask<T>(child: ChildProcess, message: object): Promise<T> {
  return new Promise((resolve) => {
    child.once("message", (m: T) => resolve(m));
    child.send(message);
  });
}

async function rawClient(url: string): Promise<BenchClient> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const client: BenchClient = {
    send: (id, n) => ws.send(JSON.stringify({ type: "upsert", entityType: "todo", entityId: id, entity: { id, type: "todo", title: `change ${n}`, done: false, updatedAt: n } })),
    onRemote: () => {},
    close: async () => ws.close(),
  };
  ws.on("message", (data) => client.onRemote((JSON.parse(data.toString()) as { entityId: string }).entityId));
  return client;
}

async function syncClient(url: string, index: number): Promise<BenchClient> {
  const store = KalphiteStore<BenchTodo>();
  const engine = new NetworkSyncEngine({ wsUrl: url, roomId: "bench", userId: `user${index}`, clientId: `client-${index}` });
  bindStore(store, engine);
  const client: BenchClient = {
    send: (id, n) => store.todo.upsert(id, { title: `change ${n}`, done: false, updatedAt: n }),
    onRemote: () => {},
    close: () => engine.disconnect(),
  };
  store.subscribe((changes) => {
    for (const change of changes) if (change.origin === "remote") client.onRemote(change.entityId);
  });
  await engine.connect();
  return client;
}

/** Resolves when `expected` arrivals of `id`s have been counted by the clients' `onRemote`. */
function arrivals(clients: readonly BenchClient[]) {
  const waiting = new Map<string, { left: number; done: () => void }>();
  for (const client of clients) {
    client.onRemote = (id) => {
      const w = waiting.get(id);
      if (w !== undefined && --w.left === 0) {
        waiting.delete(id);
        w.done();
      }
    };
  }
  return (id: string, expected: number) => new Promise<void>((resolve) => waiting.set(id, { left: expected, done: resolve }));
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/** Runs the sync-ws workloads for one implementation. */
export async function runSyncWsChild(impl: string, raw: Record<string, unknown>): Promise<Measurements> {
  const params = raw as unknown as SyncWsParams;
  const dataDir = impl === "sync-ws-pglite" ? mkdtempSync(join(tmpdir(), "kalphite-bench-sync-ws-")) : undefined;
  const server = await startServer(impl, dataDir);
  try {
    const base = (await ask<{ bytes: number }>(server.process, { type: "memory" })).bytes;
    const url = impl === "raw-ws" ? `ws://127.0.0.1:${server.port}` : `ws://127.0.0.1:${server.port}/sync/ws`;
    const clients: BenchClient[] = [];
    for (let i = 0; i < params.clients; i++) clients.push(impl === "raw-ws" ? await rawClient(url) : await syncClient(url, i));
    const connected = (await ask<{ bytes: number }>(server.process, { type: "memory" })).bytes;
    const wait = arrivals(clients);
    const others = params.clients - 1;

    // Warm-up, then latency: one change at a time, from each client in turn.
    for (let i = 0; i < 20; i++) {
      const done = wait(`warm${i}`, others);
      clients[i % clients.length]!.send(`warm${i}`, i);
      await done;
    }
    const latencies: number[] = [];
    for (let i = 0; i < params.latencySamples; i++) {
      const id = `lat${i}`;
      const done = wait(id, others);
      const start = nowMs();
      clients[i % clients.length]!.send(id, 1_000 + i);
      await done;
      latencies.push(nowMs() - start);
    }
    latencies.sort((a, b) => a - b);

    // Relay: the whole burst at once, spread over the clients.
    const all: Promise<void>[] = [];
    for (let i = 0; i < params.burst; i++) all.push(wait(`burst${i}`, others));
    const start = nowMs();
    for (let i = 0; i < params.burst; i++) clients[i % clients.length]!.send(`burst${i}`, 10_000 + i);
    await Promise.all(all);
    const relay = nowMs() - start;

    await Promise.all(clients.map((c) => c.close()));
    return {
      "latency-p50": percentile(latencies, 0.5),
      "latency-p99": percentile(latencies, 0.99),
      relay,
      memory: (connected - base) / params.clients,
    };
  } finally {
    const exited = new Promise((resolve) => server.process.once("exit", resolve));
    server.process.send({ type: "stop" });
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    server.process.kill();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}
