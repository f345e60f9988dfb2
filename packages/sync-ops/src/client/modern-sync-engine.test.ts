import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KalphiteStore } from "@kalphite/store";
import { bindStore } from "@kalphite/sync-ws";
import { z } from "zod";
import { createOperationSyncServer, type OperationSyncServer } from "../server/operation-sync-server";
import type { Mutator } from "../server/mutator-transaction";
import { createPGliteSyncStorage } from "../storage/pglite-storage";
import type { SyncStorage } from "../storage/types";
import type { HttpClient, StatePatch } from "../types";
import { createFetchHttpClient } from "./fetch-http-client";
import { ModernSyncEngine } from "./modern-sync-engine";
import type { ModernSyncEngineConfig } from "./config";
import { createMemoryOperationStorage } from "./operation-storage";
import { createPGliteOperationStorage } from "./pglite-operation-storage";

const todo = z.object({ id: z.string(), type: z.literal("todo"), title: z.string().min(1), done: z.boolean().default(false) });
const counter = z.object({ id: z.string(), type: z.literal("counter"), n: z.number() });
const mutators: Record<string, Mutator> = {
  addTodo: async (tx, id: string, title: string) => tx.upsert("todo", id, { title, done: false }),
  increment: async (tx, id: string) => {
    const c = await tx.get<{ id: string; type: string; n: number }>("counter", id);
    await tx.upsert("counter", id, { n: (c?.n ?? 0) + 1 });
  },
  refuse: async () => {
    throw new Error("not allowed today");
  },
};

let storage: SyncStorage;
let server: OperationSyncServer;
let authed: OperationSyncServer;
const engines: ModernSyncEngine[] = [];
let seq = 0;

beforeAll(async () => {
  storage = await createPGliteSyncStorage();
  server = await createOperationSyncServer({ mutators, schema: { todo, counter }, storage });
  authed = await createOperationSyncServer({ mutators, schema: { todo, counter }, storage, authenticate: (token) => token === "secret" });
});
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});
afterAll(async () => {
  await server?.close();
  await authed?.close();
  await storage?.close();
});

const wsUrl = (s: OperationSyncServer) => `${s.url.replace("http", "ws")}/sync/notify`;
const engine = (config: Partial<ModernSyncEngineConfig> = {}) => {
  const e = new ModernSyncEngine({ baseUrl: server.url, clientId: `client-${++seq}`, userId: "ada", pullInterval: 0, ...config });
  engines.push(e);
  return e;
};
const next = <T>(subscribe: (fn: (value: T) => void) => () => void, predicate: (value: T) => boolean = () => true) =>
  new Promise<T>((resolve) => {
    const off = subscribe((value) => {
      if (predicate(value)) {
        off();
        resolve(value);
      }
    });
  });
const pullServer = async () => (await (await fetch(`${server.url}/sync/state`, { method: "POST", body: "{}" })).json()) as { entities: any[] };

describe("ModernSyncEngine against a real server", () => {
  it("pushes an operation, is confirmed, and applies the resulting state", async () => {
    const e = engine({ notificationUrl: wsUrl(server) });
    const confirmed: number[] = [];
    e.onOperationConfirmed((op) => confirmed.push(op.id));
    await e.connect();
    expect(e.getConnectionStatus()).toBe("connected");
    const patch = next<StatePatch>((fn) => e.onStatePatch(fn), (p) => p.entities.some((x) => x.id === "first"));
    await e.executeOperation("addTodo", ["first", "Buy milk"]);
    await e.flush();
    expect(confirmed).toEqual([1]);
    expect(e.getPendingOperations()).toEqual([]);
    expect((await patch).entities).toContainEqual({ id: "first", type: "todo", title: "Buy milk", done: false });
    expect(Number(e.getCurrentStateVersion())).toBeGreaterThan(0);
  });

  it("converges two clients: an operation on one reaches the other through a notification and a pull", async () => {
    const a = engine({ notificationUrl: wsUrl(server) });
    const b = engine({ notificationUrl: wsUrl(server) });
    await Promise.all([a.connect(), b.connect()]);
    const seen = next<StatePatch>((fn) => b.onStatePatch(fn), (p) => p.entities.some((x) => x.id === "shared"));
    await a.executeOperation("addTodo", ["shared", "from a"]);
    expect((await seen).entities).toContainEqual({ id: "shared", type: "todo", title: "from a", done: false });
    expect(b.getCurrentStateVersion()).toBe(a.getCurrentStateVersion() || b.getCurrentStateVersion());
  });

  it("hears notifications over SSE too", async () => {
    const a = engine();
    const b = engine({ notificationTransport: "sse" });
    await Promise.all([a.connect(), b.connect()]);
    const seen = next<StatePatch>((fn) => b.onStatePatch(fn), (p) => p.entities.some((x) => x.id === "via-sse"));
    await a.executeOperation("addTodo", ["via-sse", "sse"]);
    await a.flush();
    expect((await seen).entities.map((x) => x.id)).toContain("via-sse");
  });

  it("reports presence of other clients", async () => {
    const a = engine({ notificationUrl: wsUrl(server) });
    await a.connect();
    const b = engine({ notificationUrl: wsUrl(server) });
    const joined = next<any>((fn) => a.on("presence", fn), (p) => p.connected);
    await b.connect();
    expect(await joined).toMatchObject({ clientId: expect.stringMatching(/^client-/), connected: true });
    expect(a.getConnectedClients()).toContain((await joined).clientId);
  });

  it("reports a refused operation through onOperationFailed with the server's message, and goes on", async () => {
    const e = engine();
    const failed: any[] = [];
    const confirmed: string[] = [];
    e.onOperationFailed((f) => failed.push(f));
    e.onOperationConfirmed((op) => confirmed.push(op.name));
    await e.connect();
    await e.executeOperation("refuse", []);
    await e.executeOperation("unknownOp", []);
    await e.executeOperation("addTodo", ["after-refusal", "ok"]);
    await e.flush();
    expect(failed.map((f) => [f.operation.name, f.error])).toEqual([
      ["refuse", "not allowed today"],
      ["unknownOp", 'Unknown operation "unknownOp"'],
    ]);
    expect(confirmed).toEqual(["addTodo"]);
  });

  it("confirms an operation whose push answer was lost with the next pull, applied once", async () => {
    const real = createFetchHttpClient();
    let dropNext = true;
    const lossy: HttpClient = {
      get: (url, o) => real.get(url, o),
      post: async <TReq, TRes>(url: string, data: TReq, o?: any): Promise<TRes> => {
        const response = await real.post<TReq, TRes>(url, data, o);
        if (url.endsWith("/sync/operations") && dropNext) {
          dropNext = false;
          throw new Error("socket hang up (answer lost)");
        }
        return response;
      },
    };
    const e = engine({ httpClient: lossy, retryDelay: 60_000 });
    const confirmed: number[] = [];
    e.onOperationConfirmed((op) => confirmed.push(op.id));
    e.on("error", () => undefined);
    await e.connect();
    await e.executeOperation("increment", ["lost-answer"]);
    expect(e.getPendingOperations().map((op) => op.id)).toEqual([1]);
    await e.syncState();
    expect(confirmed).toEqual([1]);
    expect(e.getPendingOperations()).toEqual([]);
    expect((await pullServer()).entities).toContainEqual({ id: "lost-answer", type: "counter", n: 1 });
  });

  it("sends the legacy sendChange as upsert<entityType>/delete<entityType>", async () => {
    const e = engine();
    const names: string[] = [];
    e.onOperationConfirmed((op) => names.push(op.name));
    await e.connect();
    await e.sendChange({ type: "upsert", entityType: "todo", entityId: "legacy-1", entity: { id: "legacy-1", type: "todo", title: "Buy groceries", done: false } });
    await e.sendChange({ type: "upsert", entityType: "todo", entityId: "legacy-2", entity: { id: "legacy-2", type: "todo", title: "Keep", done: true } });
    await e.sendChange({ type: "delete", entityType: "todo", entityId: "legacy-1" });
    await e.flush();
    expect(names).toEqual(["upserttodo", "upserttodo", "deletetodo"]);
    const ids = (await pullServer()).entities.map((x) => x.id);
    expect(ids).toContain("legacy-2");
    expect(ids).not.toContain("legacy-1");
    await expect(e.sendChange({ type: "upsert", entityType: "todo", entityId: "x" } as any)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("works with sync-ws's bindStore: local store writes go out as upsert<type>, pulled state comes back in", async () => {
    const storeA = KalphiteStore();
    const storeB = KalphiteStore();
    const a = engine({ notificationUrl: wsUrl(server) });
    const b = engine({ notificationUrl: wsUrl(server) });
    const unbindA = bindStore(storeA, a);
    const unbindB = bindStore(storeB, b);
    try {
      await Promise.all([a.connect(), b.connect()]);
      const arrived = next<StatePatch>((fn) => b.onStatePatch(fn), (p) => p.entities.some((x) => x.id === "bound-1"));
      storeA.getByType("todo").upsert("bound-1", { id: "bound-1", type: "todo", title: "via the store", done: false });
      await new Promise((r) => setImmediate(r));
      await a.flush();
      await arrived;
      expect(storeB.getById("todo", "bound-1")).toMatchObject({ title: "via the store" });
      expect(a.getClientId()).toMatch(/^client-/);
    } finally {
      unbindA();
      unbindB();
    }
  });

  it("sends the bearer token on every request and the notification connection", async () => {
    const e = engine({ baseUrl: authed.url, notificationUrl: wsUrl(authed), authToken: "secret" });
    await e.connect();
    expect(e.getConnectionStatus()).toBe("connected");
    await e.executeOperation("addTodo", ["authed", "yes"]);
    await e.flush();
    while (authed.connectionCount() === 0) await new Promise((r) => setImmediate(r));
    expect(authed.connectionCount()).toBeGreaterThan(0);
    const bad = engine({ baseUrl: authed.url, authToken: "wrong", retryDelay: 60_000 });
    const errors: any[] = [];
    bad.on("error", (err) => errors.push(err));
    await bad.connect();
    expect(bad.getConnectionStatus()).toBe("connecting");
    expect(errors[0]).toMatchObject({ code: "UNAUTHORIZED", details: { status: 401 } });
  });

  it("in a browser, uses the platform WebSocket (no options) and sends the token in the notification URL", async () => {
    const { WebSocket: NodeWebSocket } = await import("ws");
    const g = globalThis as { window?: unknown; WebSocket?: unknown };
    const saved = { window: g.window, WebSocket: g.WebSocket };
    const urls: string[] = [];
    // A browser's WebSocket takes (url, protocols?): no way to pass headers.
    g.WebSocket = function BrowserLike(url: string, protocols?: unknown) {
      if (protocols !== undefined) throw new TypeError("a browser WebSocket takes no options object");
      urls.push(url);
      return new NodeWebSocket(url);
    };
    g.window = {};
    try {
      const e = engine({ baseUrl: authed.url, notificationUrl: wsUrl(authed), authToken: "secret" });
      await e.connect();
      while (authed.connectionCount() === 0) await new Promise((r) => setImmediate(r));
      expect(urls).toHaveLength(1);
      expect(new URL(urls[0]!).searchParams.get("token")).toBe("secret");
    } finally {
      g.window = saved.window;
      g.WebSocket = saved.WebSocket;
      if (saved.window === undefined) delete g.window;
      if (saved.WebSocket === undefined) delete g.WebSocket;
    }
  });

  it("refuses executeOperation past offlineQueueLimit and drops nothing", async () => {
    const e = engine({ offlineQueueLimit: 3 });
    for (const i of [1, 2, 3]) await e.executeOperation("increment", [`limit-${i}`]);
    await expect(e.executeOperation("increment", ["limit-4"])).rejects.toMatchObject({ code: "QUEUE_FULL" });
    expect(e.getQueuedOperations().map((op) => op.id)).toEqual([1, 2, 3]);
    await expect(e.executeOperation("", [])).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(e.executeOperation("x", [Number.NaN])).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await e.flush();
    expect(e.getOfflineQueueSize()).toBe(0);
  });

  it("keeps operation ids sequential across engine restarts and resends what was not confirmed", async () => {
    const ops = createMemoryOperationStorage();
    const clientId = `restart-${++seq}`;
    const first = new ModernSyncEngine({ baseUrl: server.url, clientId, userId: "u", storage: ops, pullInterval: 0 });
    await first.executeOperation("increment", ["restart-counter"]);
    await first.executeOperation("increment", ["restart-counter"]);
    await first.disconnect();
    const second = new ModernSyncEngine({ baseUrl: server.url, clientId, userId: "u", storage: ops, pullInterval: 0 });
    engines.push(second);
    await second.executeOperation("increment", ["restart-counter"]);
    expect(second.getPendingOperations().map((op) => op.id)).toEqual([1, 2, 3]);
    await second.connect();
    await second.flush();
    expect((await pullServer()).entities).toContainEqual({ id: "restart-counter", type: "counter", n: 3 });
    const ids: number[] = [];
    second.onOperationConfirmed((op) => ids.push(op.id));
    await second.executeOperation("increment", ["restart-counter"]);
    await second.flush();
    expect(ids).toEqual([4]);
  });

  it("continues after the server's last id when its own storage was lost", async () => {
    const clientId = `lost-storage-${++seq}`;
    const first = engine({ clientId });
    await first.connect();
    await first.executeOperation("increment", ["lost-storage"]);
    await first.executeOperation("increment", ["lost-storage"]);
    await first.flush();
    const fresh = engine({ clientId }); // a new, empty memory storage: its id 1 is at or below the server's 2
    fresh.on("error", () => undefined);
    await fresh.executeOperation("increment", ["lost-storage"]);
    await fresh.connect();
    await fresh.flush();
    expect((await pullServer()).entities).toContainEqual({ id: "lost-storage", type: "counter", n: 3 });
  });

  it("replays the offline queue of a client killed and started again as a new process (PGlite storage)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kalphite-client-"));
    const fixture = join(dirname(fileURLToPath(import.meta.url)), "..", "test-fixtures", "offline-client.ts");
    const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
    const run = (mode: string, untilLine: boolean) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", fixture, dir, server.url, mode], { cwd: packageDir, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stderr.on("data", (d) => (err += String(d)));
        child.stdout.on("data", (d) => {
          out += String(d);
          if (untilLine && out.includes("\n")) child.kill("SIGKILL");
        });
        child.on("error", reject);
        child.on("exit", (code, signal) => {
          if (code !== 0 && signal !== "SIGKILL") reject(new Error(`child ${mode} exited ${code}: ${err.slice(-2000)}`));
          else resolve(out.trim());
        });
      });
    try {
      expect(await run("queue", true)).toBe("queued [1,2,3]");
      expect((await pullServer()).entities.map((x) => x.id)).not.toContain("restart-one");
      expect(JSON.parse(await run("replay", false))).toEqual({ confirmed: [1, 2, 3], pending: 0 });
      const ids = (await pullServer()).entities.map((x) => x.id);
      expect(ids).toEqual(expect.arrayContaining(["restart-one", "restart-two", "restart-three"]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("keeps pending operations in PGlite storage across engines", async () => {
    const ops = await createPGliteOperationStorage();
    try {
      const clientId = `pglite-${++seq}`;
      const a = new ModernSyncEngine({ baseUrl: server.url, clientId, userId: "u", storage: ops, pullInterval: 0 });
      await a.executeOperation("addTodo", ["pg-1", "one"]);
      await a.executeOperation("addTodo", ["pg-2", "two"]);
      await a.disconnect();
      const stored = await ops.load(clientId);
      expect(stored.operations.map((op) => [op.id, op.name, op.args])).toEqual([
        [1, "addTodo", ["pg-1", "one"]],
        [2, "addTodo", ["pg-2", "two"]],
      ]);
      const b = new ModernSyncEngine({ baseUrl: server.url, clientId, userId: "u", storage: ops, pullInterval: 0 });
      await b.connect();
      await b.flush();
      await b.disconnect();
      const after = await ops.load(clientId);
      expect(after.operations).toEqual([]);
      expect(after.lastOperationId).toBe(2);
      expect(Number(after.values.stateVersion)).toBeGreaterThan(0);
    } finally {
      await ops.close();
    }
  });

  it("rejects bad config with INVALID_ARGUMENT naming the option", () => {
    expect(() => new ModernSyncEngine({ baseUrl: "not a url", clientId: "c", userId: "u" })).toThrow(/baseUrl/);
    expect(() => new ModernSyncEngine({ baseUrl: server.url, clientId: "", userId: "u" })).toThrow(/clientId/);
    expect(() => new ModernSyncEngine({ baseUrl: server.url, clientId: "c", userId: "u", batchSize: 0 })).toThrow(/batchSize/);
    expect(() => new ModernSyncEngine({ baseUrl: server.url, clientId: "c", userId: "u", notificationUrl: "http://x" })).toThrow(/notificationUrl/);
  });
});
