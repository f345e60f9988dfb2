import { KalphiteStore, type Entity } from "@kalphite/store";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WebSocket } from "ws";
import { bindStore } from "./bind-store";
import { CloseCode } from "./errors";
import { eventually, makeEngine, startServer, todo } from "./test-helpers";
import type { ConflictEvent } from "./types";

interface Todo {
  id: string;
  type: "todo";
  title: string;
  done: boolean;
  updatedAt: number;
}

const sorted = (store: KalphiteStore<Todo>) => JSON.stringify([...store.todo].map((t) => [t.id, t.title, t.done, t.updatedAt]).sort());

describe("offline on both sides", () => {
  it("edits made offline on two replicas converge after both reconnect", async () => {
    const server = await startServer();
    const stores = [KalphiteStore<Todo>(), KalphiteStore<Todo>()] as const;
    const engines = [makeEngine(server, { userId: "a", clientId: "a" }), makeEngine(server, { userId: "b", clientId: "b" })] as const;
    bindStore(stores[0], engines[0]);
    bindStore(stores[1], engines[1]);
    await Promise.all(engines.map((e) => e.connect()));
    stores[0].todo.upsert("shared", { title: "shared", done: false, updatedAt: 1 });
    stores[0].todo.upsert("gone", { title: "gone", done: false, updatedAt: 1 });
    await engines[0].flush();
    await eventually(() => stores[1].todo.length === 2, "shared and gone reached b");

    await Promise.all(engines.map((e) => e.disconnect()));
    stores[0].todo.upsert("only-a", { title: "a", done: false, updatedAt: 5 });
    stores[1].todo.upsert("only-b", { title: "b", done: true, updatedAt: 5 });
    stores[0].todo.update("shared", (d) => void Object.assign(d, { title: "a wins", updatedAt: 30 }));
    stores[1].todo.update("shared", (d) => void Object.assign(d, { done: true, updatedAt: 20 }));
    stores[1].todo.update("shared", (d) => void Object.assign(d, { title: "b", updatedAt: 25 }));
    // A delete is stamped with the clock at the time (here: later than any updatedAt above).
    stores[0].todo.update("gone", (d) => void Object.assign(d, { title: "edited", updatedAt: 10 }));
    stores[1].todo.delete("gone");
    // Unsent changes of one entity are coalesced: the newest state per entity waits.
    expect(engines[0].getOfflineQueueSize()).toBe(3);
    expect(engines[1].getOfflineQueueSize()).toBe(3);

    await Promise.all(engines.map((e) => e.connect()));
    await Promise.all(engines.map((e) => e.flush()));
    await eventually(() => sorted(stores[0]) === sorted(stores[1]) && stores[0].todo.length === 3, "converged");
    expect(stores[1].todo.findById("shared")).toMatchObject({ title: "a wins", done: false, updatedAt: 30 });
    expect(stores[0].todo.findById("gone")).toBeUndefined();
    expect(stores[0].todo.findById("only-b")).toMatchObject({ title: "b" });
  });

  it("manual: the replica whose edit collided gets conflict with resolve(); its choice reaches everyone", async () => {
    const server = await startServer({ conflictResolution: "manual" });
    const [a, b] = [makeEngine(server, { userId: "a", clientId: "a", conflictResolution: { strategy: "manual" } }), makeEngine(server, { userId: "b", clientId: "b", conflictResolution: { strategy: "manual" } })];
    const conflicts: { a: ConflictEvent[]; b: ConflictEvent[] } = { a: [], b: [] };
    a.on("conflict", (c) => conflicts.a.push(c));
    b.on("conflict", (c) => conflicts.b.push(c));
    await a.connect();
    await b.connect();
    await a.sendChange({ type: "upsert", entityType: "todo", entityId: "t", entity: todo("t", { title: "base" }, 10) });
    await a.flush();
    await eventually(() => b.getEntity("todo", "t") !== undefined, "base at b");
    await a.disconnect();
    await b.disconnect();
    await a.sendChange({ type: "upsert", entityType: "todo", entityId: "t", entity: todo("t", { title: "a" }, 30) });
    await b.sendChange({ type: "upsert", entityType: "todo", entityId: "t", entity: todo("t", { title: "b" }, 20) });
    await a.connect();
    await a.flush();
    await b.connect(); // catch-up brings a's version while b's edit is still unacknowledged
    expect(conflicts.b).toHaveLength(1);
    const conflict = conflicts.b[0]!;
    expect(conflict).toMatchObject({ strategy: "manual", local: { title: "b" }, remote: { title: "a" }, resolved: { title: "a" } });
    expect(typeof conflict.resolve).toBe("function");
    await conflict.resolve!(todo("t", { title: "a+b" }, 40));
    await b.flush();
    await eventually(() => a.getEntity("todo", "t")?.title === "a+b", "resolution reached a");
    expect(b.getEntity("todo", "t")).toMatchObject({ title: "a+b" });
    // a had no unacknowledged edit when b's version came in: it is told, but not asked.
    expect(conflicts.a.every((c) => c.resolve === undefined)).toBe(true);
  });

  it("manual with a resolver: it is called with both versions and its result is written for everyone", async () => {
    const server = await startServer({ conflictResolution: "manual" });
    const resolver = vi.fn((local: Entity, remote: Entity): Entity => todo("t", { title: `${String(local.title)}|${String(remote.title)}` }, 50));
    const config = { conflictResolution: { strategy: "manual" as const, resolver } };
    const a = makeEngine(server, { userId: "a", clientId: "a", ...config });
    const b = makeEngine(server, { userId: "b", clientId: "b", ...config });
    await a.connect();
    await b.connect();
    await a.disconnect();
    await b.disconnect();
    await a.sendChange({ type: "upsert", entityType: "todo", entityId: "t", entity: todo("t", { title: "a" }, 30) });
    await b.sendChange({ type: "upsert", entityType: "todo", entityId: "t", entity: todo("t", { title: "b" }, 20) });
    await a.connect();
    await a.flush();
    await b.connect();
    await b.flush();
    await eventually(() => a.getEntity("todo", "t")?.title === "b|a", "resolved everywhere");
    expect(resolver).toHaveBeenCalledTimes(1);
    expect(b.getEntity("todo", "t")).toMatchObject({ title: "b|a" });
  });
});

describe("a server that lost its storage", () => {
  it("a client whose cursor counts another epoch gets a full catch-up", async () => {
    const { createWebSocketSyncServer } = await import("./server/create-server");
    const first = await createWebSocketSyncServer({ port: 0 });
    const b = makeEngine(first, { userId: "b" });
    try {
      const a = makeEngine(first, { userId: "a" });
      await a.connect();
      await b.connect();
      for (let i = 0; i < 5; i++) await a.sendChange({ type: "upsert", entityType: "todo", entityId: `old${i}`, entity: todo(`old${i}`) });
      await a.flush();
      await eventually(() => b.getServerSequence() === 5, "b saw seq 5");
      await b.disconnect();
      await a.disconnect();
    } finally {
      await first.close();
    }
    // Restarted on memory storage: the sequence starts over, and passes b's cursor before b is back.
    const second = await startServer({ port: first.port });
    const c = makeEngine(second, { userId: "c" });
    await c.connect();
    for (let i = 0; i < 8; i++) await c.sendChange({ type: "upsert", entityType: "todo", entityId: `new${i}`, entity: todo(`new${i}`) });
    await c.flush();
    await b.connect();
    for (let i = 0; i < 8; i++) expect(b.getEntity("todo", `new${i}`)).toBeDefined();
    expect(b.getServerSequence()).toBe(8);
  });
});

describe("the server's heartbeat (fake timers, real sockets)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("closes a connection silent for two of its heartbeat intervals, and keeps one that beats", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const server = await startServer();
    const open = async () => {
      const ws = new WebSocket(server.url);
      const state = { ready: false, closed: undefined as number | undefined };
      ws.on("message", (d) => {
        if ((JSON.parse(d.toString()) as { type: string }).type === "ready") state.ready = true;
      });
      ws.on("close", (code) => (state.closed = code));
      await new Promise((r) => ws.once("open", r));
      ws.send(JSON.stringify({ type: "auth", roomId: "room", userId: "u", clientId: `c${Math.random()}`, heartbeatInterval: 1_000 }));
      await eventually(() => state.ready, "ready");
      return { ws, state };
    };
    const silent = await open();
    const beating = await open();
    for (let t = 0; t < 1_900; t += 500) {
      beating.ws.send(JSON.stringify({ type: "heartbeat", timestamp: 0 }));
      await eventually(() => true);
      await vi.advanceTimersByTimeAsync(500);
    }
    expect(silent.state.closed).toBeUndefined();
    beating.ws.send(JSON.stringify({ type: "heartbeat", timestamp: 0 }));
    await new Promise((r) => setImmediate(r));
    await vi.advanceTimersByTimeAsync(200);
    await eventually(() => silent.state.closed !== undefined, "silent closed");
    expect(silent.state.closed).toBe(CloseCode.HeartbeatTimeout);
    expect(beating.state.closed).toBeUndefined();
    expect(server.connectionCount()).toBe(1);
    beating.ws.terminate();
  });

  it("closes a connection that never authenticates with 4008", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const server = await startServer({ authTimeoutMs: 5_000 });
    const ws = new WebSocket(server.url);
    let closed: number | undefined;
    ws.on("close", (code) => (closed = code));
    await new Promise((r) => ws.once("open", r));
    await vi.advanceTimersByTimeAsync(4_999);
    await new Promise((r) => setImmediate(r));
    expect(closed).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await eventually(() => closed !== undefined, "closed");
    expect(closed).toBe(CloseCode.AuthTimeout);
  });
});
