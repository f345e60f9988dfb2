import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { backoffDelay } from "./config";
import { SyncError } from "./errors";
import { NetworkSyncEngine } from "./network-sync-engine";
import { createMemorySyncStorage } from "./storage/memory-storage";
import { FakeWebSocket, todo } from "./test-helpers";
import type { SyncConfig } from "./types";

function engine(config: { [K in keyof SyncConfig]?: SyncConfig[K] | undefined } = {}) {
  return new NetworkSyncEngine({
    wsUrl: "ws://fake.test/sync/ws",
    roomId: "room",
    userId: "ada",
    clientId: "c1",
    WebSocket: FakeWebSocket,
    random: () => 0.5,
    heartbeatInterval: 1_000,
    reconnectDelay: 100,
    maxReconnectDelay: 1_000,
    connectTimeout: 5_000,
    ...config,
  } as SyncConfig);
}

/** Lets microtasks (storage, awaits) run without moving the clock. */
const tick = () => vi.advanceTimersByTimeAsync(0);
const last = () => FakeWebSocket.sockets.at(-1)!;

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("NetworkSyncEngine: the connection state machine (fake socket, fake timers)", () => {
  it("the constructor opens nothing and reads no storage", async () => {
    const storage = createMemorySyncStorage();
    const load = vi.spyOn(storage, "load");
    const e = engine({ storage, wsUrl: "" });
    await tick();
    expect(FakeWebSocket.sockets).toHaveLength(0);
    expect(load).not.toHaveBeenCalled();
    expect(e.getConnectionStatus()).toBe("disconnected");
    await expect(e.connect()).rejects.toMatchObject({ code: "INVALID_CONFIG" });
  });

  it("connect: opening → auth with cursor and heartbeat interval → ready → connected", async () => {
    const e = engine({ authToken: "tok" });
    const statuses: string[] = [];
    e.on("status", (s) => statuses.push(s));
    const connected = e.connect();
    await tick();
    expect(e.getConnectionStatus()).toBe("connecting");
    last().accept();
    await connected;
    expect(last().sentOf("auth")[0]).toEqual({ type: "auth", roomId: "room", userId: "ada", clientId: "c1", token: "tok", since: 0, heartbeatInterval: 1_000, protocol: 1 });
    expect(e.getConnectionStatus()).toBe("connected");
    expect(statuses).toEqual(["connecting", "connected"]);
  });

  it("is connecting from the moment connect() is called; disconnect() while the storage loads cancels it", async () => {
    const e = engine();
    const first = e.connect().catch((error: unknown) => error);
    expect(e.getConnectionStatus()).toBe("connecting");
    await e.disconnect();
    expect(await first).toMatchObject({ code: "DISCONNECTED" });
    await tick();
    expect(FakeWebSocket.sockets).toHaveLength(0);
    expect(e.getConnectionStatus()).toBe("disconnected");
  });

  it("a storage that fails to load rejects connect() with STORAGE_FAILED; a later connect() tries again", async () => {
    let fail = true;
    const inner = createMemorySyncStorage();
    const storage = { load: (scope: string) => (fail ? Promise.reject(new Error("disk gone")) : inner.load(scope)), write: inner.write };
    const e = engine({ storage });
    await expect(e.connect()).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    expect(e.getConnectionStatus()).toBe("disconnected");
    fail = false;
    const again = e.connect();
    await tick();
    last().accept();
    await again;
  });

  it("retries with exponential backoff and jitter up to reconnectAttempts, then stays disconnected with the reason", async () => {
    const e = engine({ reconnectAttempts: 3 });
    const timeline: string[] = [];
    e.on("reconnecting", ({ attempt, delayMs }) => timeline.push(`retry:${attempt}:${delayMs}`));
    e.on("disconnected", ({ reason, willReconnect }) => timeline.push(`disconnected:${willReconnect}:${reason.slice(0, 20)}`));
    const result = e.connect().catch((error: unknown) => error);
    await tick();
    for (let i = 0; i < 4; i++) {
      last().drop(1006);
      await vi.advanceTimersByTimeAsync(1_000);
    }
    const error = await result;
    expect(error).toBeInstanceOf(SyncError);
    expect((error as SyncError).code).toBe("CONNECT_FAILED");
    expect(FakeWebSocket.sockets).toHaveLength(4);
    expect(timeline).toEqual(["retry:1:100", "retry:2:200", "retry:3:400", "disconnected:false:NetworkSyncEngine: g"]);
    expect(e.getConnectionStatus()).toBe("disconnected");
    // A new connect() starts over.
    const again = e.connect();
    await tick();
    last().accept();
    await again;
    expect(e.getConnectionStatus()).toBe("connected");
  });

  it("connect() while waiting to reconnect retries at once and starts the count over", async () => {
    const e = engine({ reconnectDelay: 10_000, maxReconnectDelay: 10_000 });
    const first = e.connect();
    await tick();
    last().accept();
    await first;
    last().drop(1006);
    await tick();
    expect(FakeWebSocket.sockets).toHaveLength(1);
    const again = e.connect();
    expect(FakeWebSocket.sockets).toHaveLength(2);
    last().accept();
    await again;
    await vi.advanceTimersByTimeAsync(20_000);
    expect(FakeWebSocket.sockets).toHaveLength(2);
    expect(e.getConnectionStatus()).toBe("connected");
  });

  it("backoff: base · 2^(n−1), capped, times 0.75–1.25 by the random draw", () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, 100, 1_000, () => 0.5))).toEqual([100, 200, 400, 800]);
    expect(backoffDelay(10, 100, 1_000, () => 0.5)).toBe(1_000);
    expect(backoffDelay(1, 100, 1_000, () => 0)).toBe(75);
    expect(backoffDelay(1, 100, 1_000, () => 1)).toBe(125);
    expect(backoffDelay(1, 100, 1_000, () => Number.NaN)).toBe(100);
  });

  it("the heartbeat keeps a live connection and detects a silent server within two intervals", async () => {
    const e = engine();
    const reasons: string[] = [];
    e.on("disconnected", ({ reason, willReconnect }) => reasons.push(`${willReconnect}:${reason}`));
    const connected = e.connect();
    await tick();
    last().accept();
    await connected;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(last().sentOf("heartbeat").length).toBe(10);
    expect(e.getConnectionStatus()).toBe("connected");

    FakeWebSocket.answerHeartbeats = false;
    const socket = last();
    await vi.advanceTimersByTimeAsync(1_999);
    expect(e.getConnectionStatus()).toBe("connected");
    await vi.advanceTimersByTimeAsync(1);
    expect(socket.terminated).toBe(true);
    expect(e.getConnectionStatus()).toBe("connecting");
    expect(reasons).toEqual(["true:heartbeat timeout: no frame from the server for 2000 ms"]);
    FakeWebSocket.answerHeartbeats = true;
    await vi.advanceTimersByTimeAsync(100);
    last().accept();
    await tick();
    expect(e.getConnectionStatus()).toBe("connected");
  });

  it("a handshake that never reaches ready times out after connectTimeout and is retried", async () => {
    FakeWebSocket.autoReady = false;
    const e = engine({ connectTimeout: 3_000 });
    const connected = e.connect();
    await tick();
    last().accept();
    await vi.advanceTimersByTimeAsync(2_999);
    expect(FakeWebSocket.sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeWebSocket.sockets[0]!.terminated).toBe(true);
    FakeWebSocket.autoReady = true;
    await vi.advanceTimersByTimeAsync(100);
    expect(FakeWebSocket.sockets).toHaveLength(2);
    last().accept();
    await connected;
  });

  it("unacknowledged changes are sent again after a reconnect, in order, until acknowledged", async () => {
    const e = engine();
    const connected = e.connect();
    await tick();
    last().accept();
    await connected;
    await e.sendChange({ type: "upsert", entityType: "todo", entityId: "t1", entity: todo("t1") });
    await e.sendChange({ type: "upsert", entityType: "todo", entityId: "t2", entity: todo("t2") });
    const first = last().sentOf("change").map((f) => f.messageId);
    expect(first).toHaveLength(2);
    let flushed = false;
    const flushing = e.flush().then(() => (flushed = true));
    last().drop(1006);
    await vi.advanceTimersByTimeAsync(100);
    last().accept();
    await tick();
    expect(last().sentOf("change").map((f) => f.messageId)).toEqual(first);
    expect(e.getOfflineQueueSize()).toBe(2);
    last().receive({ type: "ack", messageId: first[0], timestamp: 0, userId: "ada", payload: { seq: 1, outcome: "applied" } });
    await tick();
    expect(flushed).toBe(false);
    last().receive({ type: "ack", messageId: first[1], timestamp: 0, userId: "ada", payload: { seq: 2, outcome: "applied" } });
    await flushing;
    expect(e.getOfflineQueueSize()).toBe(0);
    expect(e.getServerSequence()).toBe(2);
  });

  it("disconnect() stops retrying and rejects waiting connect() and flush() with DISCONNECTED", async () => {
    const e = engine();
    const connected = e.connect();
    await tick();
    last().accept();
    await connected;
    await e.sendChange({ type: "upsert", entityType: "todo", entityId: "t1", entity: todo("t1") });
    const flushing = e.flush().catch((error: unknown) => error);
    last().drop(1006);
    await tick();
    expect(e.getConnectionStatus()).toBe("connecting");
    const reconnecting = e.connect().catch((error: unknown) => error);
    await e.disconnect();
    expect(await flushing).toMatchObject({ code: "DISCONNECTED" });
    expect(await reconnecting).toMatchObject({ code: "DISCONNECTED" });
    // connect() while waiting retried at once (socket 2); after disconnect() nothing more is opened.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(FakeWebSocket.sockets).toHaveLength(2);
    expect(FakeWebSocket.sockets[1]!.closedWith).toBe(1000);
    expect(e.getConnectionStatus()).toBe("disconnected");
    // The queue stays for the next connect(); a flush() made offline waits for it.
    expect(e.getOfflineQueueSize()).toBe(1);
    let flushed = false;
    const offlineFlush = e.flush().then(() => (flushed = true));
    await tick();
    expect(flushed).toBe(false);
    const back = e.connect();
    await tick();
    last().accept();
    await back;
    const [{ messageId }] = last().sentOf("change") as [{ messageId: string }];
    last().receive({ type: "ack", messageId, timestamp: 0, userId: "ada", payload: { seq: 1, outcome: "applied" } });
    await offlineFlush;
  });

  it("a full queue refuses with QUEUE_FULL and drops nothing; a newer unsent change of the same entity replaces the older", async () => {
    const e = engine({ maxQueueSize: 2 });
    await e.sendChange({ type: "upsert", entityType: "todo", entityId: "t1", entity: todo("t1") });
    await e.sendChange({ type: "upsert", entityType: "todo", entityId: "t2", entity: todo("t2") });
    const refused = await e.sendChange({ type: "upsert", entityType: "todo", entityId: "t3", entity: todo("t3") }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: "QUEUE_FULL" });
    expect(String((refused as Error).message)).toContain("maxQueueSize 2");
    expect(e.getEntity("todo", "t3")).toBeUndefined();
    await e.sendChange({ type: "upsert", entityType: "todo", entityId: "t1", entity: todo("t1", { title: "newer" }, 2_000) });
    expect(e.getOfflineQueueSize()).toBe(2);
    const connected = e.connect();
    await tick();
    last().accept();
    await connected;
    const sent = last().sentOf("change") as { payload: { entityId: string; entity: { title: string } } }[];
    expect(sent.map((f) => [f.payload.entityId, f.payload.entity.title])).toEqual([
      ["t2", "todo t2"],
      ["t1", "newer"],
    ]);
  });

  it("a refused token (4001) ends connect() with UNAUTHORIZED and no retry", async () => {
    FakeWebSocket.autoReady = false;
    const e = engine();
    const result = e.connect().catch((error: unknown) => error);
    await tick();
    last().accept();
    last().drop(4001, "unauthorized");
    expect(await result).toMatchObject({ code: "UNAUTHORIZED" });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeWebSocket.sockets).toHaveLength(1);
  });

  it("server error frames: retriable ones are sent again later, others leave the queue and reject flush()", async () => {
    const e = engine();
    const errors: string[] = [];
    e.on("error", (error) => errors.push(error.code));
    const connected = e.connect();
    await tick();
    last().accept();
    await connected;
    await e.sendChange({ type: "upsert", entityType: "todo", entityId: "t1", entity: todo("t1") });
    const [{ messageId }] = last().sentOf("change") as { messageId: string }[] as [{ messageId: string }];
    last().receive({ type: "error", code: "RATE_LIMITED", message: "slow down", messageId, retryAfterMs: 500 });
    await vi.advanceTimersByTimeAsync(499);
    expect(last().sentOf("change")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(last().sentOf("change")).toHaveLength(2);
    const flushing = e.flush().catch((error: unknown) => error);
    last().receive({ type: "error", code: "INVALID_CHANGE", message: "no", messageId });
    expect(await flushing).toMatchObject({ code: "REJECTED" });
    expect(e.getOfflineQueueSize()).toBe(0);
    last().receive({ type: "error", code: "INVALID_FRAME", message: "general" });
    last().receive({ nonsense: true });
    expect(errors).toEqual(["REJECTED", "SERVER_ERROR", "PROTOCOL_ERROR"]);
    expect(e.getConnectionStatus()).toBe("connected");
  });
});

describe("NetworkSyncEngine: input and identity", () => {
  it("takes timers without now, and storage as \"memory\"", async () => {
    const e = engine({ timers: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as never) }, storage: "memory" });
    const connected = e.connect();
    await tick();
    last().accept();
    await connected;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(last().sentOf("heartbeat")).toHaveLength(1);
    expect(() => engine({ storage: {} as never })).toThrow(/storage must be/);
  });

  it("rejects bad config with INVALID_CONFIG naming the option", () => {
    expect(() => new NetworkSyncEngine({ wsUrl: "ws://x", roomId: "", userId: "u" })).toThrow(/roomId/);
    expect(() => new NetworkSyncEngine({ wsUrl: "ws://x", roomId: "r", userId: "u", reconnectAttempts: -1 })).toThrow(/reconnectAttempts/);
    expect(() => new NetworkSyncEngine({ wsUrl: "ws://x", roomId: "r", userId: "u", conflictResolution: { strategy: "nope" as never } })).toThrow(/strategy/);
    expect(() => new NetworkSyncEngine({ wsUrl: "ws://x", roomId: "r", userId: "u", maxQueueSize: 0 })).toThrow(SyncError);
  });

  it("sendChange refuses what is not a change, with INVALID_CHANGE, and queues nothing", async () => {
    const e = engine();
    const bad = [
      null,
      { type: "upsert", entityType: "todo", entityId: "t1" },
      { type: "merge", entityType: "todo", entityId: "t1", entity: todo("t1") },
      { type: "upsert", entityType: "", entityId: "t1", entity: todo("t1") },
      { type: "upsert", entityType: "todo", entityId: "t1", entity: todo("t2") },
      { type: "upsert", entityType: "note", entityId: "t1", entity: todo("t1") },
      { type: "change", payload: { operation: "upsert", entityType: "todo", entityId: "t1", entity: todo("t1"), vector: { a: -1 } } },
    ];
    for (const change of bad) await expect(e.sendChange(change as never)).rejects.toMatchObject({ code: "INVALID_CHANGE" });
    expect(e.getOfflineQueueSize()).toBe(0);
  });

  it("takes the specification's ChangeMessage: keeps its messageId and merges its vector", async () => {
    const e = engine();
    await e.sendChange({
      type: "change",
      messageId: "m-1",
      timestamp: 1,
      userId: "ada",
      payload: { operation: "upsert", entityType: "todo", entityId: "t1", entity: todo("t1"), vector: { other: 3 } },
    });
    expect(e.getVectorClock("todo", "t1")).toEqual({ other: 3, c1: 1 });
    const connected = e.connect();
    await tick();
    last().accept();
    await connected;
    expect(last().sentOf("change")[0]).toMatchObject({ messageId: "m-1", userId: "ada" });
    // The caller retries the same message: applied once, before and after its acknowledgement.
    const retry = { type: "change" as const, messageId: "m-1", timestamp: 1, userId: "ada", payload: { operation: "upsert" as const, entityType: "todo", entityId: "t1", entity: todo("t1", { title: "retry" }), vector: {} } };
    await e.sendChange(retry);
    expect(e.getOfflineQueueSize()).toBe(1);
    last().receive({ type: "ack", messageId: "m-1", timestamp: 0, userId: "ada", payload: { seq: 1, outcome: "applied" } });
    await e.sendChange(retry);
    expect(e.getOfflineQueueSize()).toBe(0);
    expect(e.getEntity("todo", "t1")).toMatchObject({ title: "todo t1" });
    expect(last().sentOf("change")).toHaveLength(1);
  });

  it("generates a clientId once and persists it in the storage; an explicit clientId wins", async () => {
    const storage = createMemorySyncStorage();
    const first = engine({ storage, clientId: undefined });
    await first.init();
    const id = first.getClientId();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const second = engine({ storage, clientId: undefined });
    await second.init();
    expect(second.getClientId()).toBe(id);
    const other = engine({ storage: createMemorySyncStorage(), clientId: undefined });
    await other.init();
    expect(other.getClientId()).not.toBe(id);
    const explicit = engine({ storage, clientId: "mine" });
    await explicit.init();
    expect(explicit.getClientId()).toBe("mine");
  });

  it("a listener that throws does not stop the others; on() returns the unsubscribe", async () => {
    const e = engine();
    const calls: string[] = [];
    e.setListenerErrorHandler(() => calls.push("handler"));
    e.on("status", () => {
      throw new Error("boom");
    });
    const off = e.on("status", (s) => calls.push(s));
    const connected = e.connect();
    await tick();
    off();
    last().accept();
    await connected;
    expect(calls).toEqual(["handler", "connecting", "handler"]);
  });
});
