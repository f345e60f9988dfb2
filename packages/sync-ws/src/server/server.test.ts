import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { CloseCode, SyncError } from "../errors";
import { eventually, makeEngine, startServer, todo } from "../test-helpers";
import type { RemoteChangeEvent } from "../types";

/** A raw protocol client: every frame it receives, and its close code. */
async function rawClient(url: string) {
  const ws = new WebSocket(url);
  const frames: Record<string, unknown>[] = [];
  const state = { closeCode: undefined as number | undefined, closeReason: "" };
  ws.on("message", (data) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
  ws.on("close", (code, reason) => {
    state.closeCode = code;
    state.closeReason = reason.toString();
  });
  ws.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const send = (frame: unknown) => ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  const auth = async (roomId = "room", extra: Record<string, unknown> = {}) => {
    send({ type: "auth", roomId, userId: "raw", clientId: "raw-client", since: 0, ...extra });
    await eventually(() => frames.some((f) => f.type === "ready") || state.closeCode !== undefined, "ready or closed");
  };
  const change = (messageId: string, entityId: string, extra: Record<string, unknown> = {}) => ({
    type: "change",
    messageId,
    timestamp: 1,
    userId: "raw",
    payload: { operation: "upsert", entityType: "todo", entityId, entity: todo(entityId), vector: { "raw-client": 1 }, ...extra },
  });
  return { ws, frames, state, send, auth, change, close: () => ws.terminate() };
}

describe("createWebSocketSyncServer", () => {
  it("returns url and port, listens on 127.0.0.1, and close() is idempotent", async () => {
    const server = await startServer();
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`ws://127.0.0.1:${server.port}/sync/ws`);
    const client = await rawClient(server.url);
    await client.auth();
    expect(server.connectionCount()).toBe(1);
    const first = server.close();
    expect(server.close()).toBe(first);
    await first;
    await eventually(() => client.state.closeCode !== undefined, "client closed");
    expect(client.state.closeCode).toBe(CloseCode.GoingAway);
  });

  it("a refused token closes with 4001 and connect() rejects with UNAUTHORIZED without retrying", async () => {
    let calls = 0;
    const server = await startServer({
      authenticate: ({ token, roomId, userId }) => {
        calls++;
        return token === "good" && roomId === "room" && userId === "ada";
      },
    });
    const bad = makeEngine(server, { userId: "ada", authToken: "bad", reconnectAttempts: 5 });
    const emitted: string[] = [];
    bad.on("error", (e) => emitted.push(e.code));
    const error = await bad.connect().catch((e: unknown) => e);
    expect(emitted).toEqual(["UNAUTHORIZED"]);
    expect(error).toBeInstanceOf(SyncError);
    expect((error as SyncError).code).toBe("UNAUTHORIZED");
    expect(bad.getConnectionStatus()).toBe("disconnected");
    expect(calls).toBe(1);
    const good = makeEngine(server, { userId: "ada", authToken: "good" });
    await good.connect();
    expect(good.getConnectionStatus()).toBe("connected");

    const raw = await rawClient(server.url);
    await raw.auth("room", { token: "nope" });
    expect(raw.state.closeCode).toBe(CloseCode.Unauthorized);
  });

  it("an authenticate that throws refuses (4001) and the server keeps serving", async () => {
    const server = await startServer({ authenticate: async ({ token }) => {
      if (token === "boom") throw new Error("auth backend down");
      return true;
    } });
    const raw = await rawClient(server.url);
    await raw.auth("room", { token: "boom" });
    expect(raw.state.closeCode).toBe(CloseCode.Unauthorized);
    const ok = makeEngine(server, { authToken: "fine" });
    await ok.connect();
  });

  it("authenticates from the URL's query too: a bad token closes with 4001, a good one gets ready", async () => {
    const server = await startServer({ authenticate: ({ token }) => token === "good" });
    const bad = await rawClient(`${server.url}?token=bad`);
    await eventually(() => bad.state.closeCode !== undefined, "closed");
    expect(bad.state.closeCode).toBe(CloseCode.Unauthorized);
    const good = await rawClient(`${server.url}?token=good&roomId=room&userId=q`);
    await eventually(() => good.frames.some((f) => f.type === "ready"), "ready");
    expect(good.frames.find((f) => f.type === "ready")).toMatchObject({ roomId: "room" });
  });

  it("a change before auth on a server with authenticate: error frame and close 4002", async () => {
    const server = await startServer({ authenticate: () => true });
    const raw = await rawClient(server.url);
    raw.send(raw.change("m1", "t1"));
    await eventually(() => raw.state.closeCode !== undefined, "closed");
    expect(raw.state.closeCode).toBe(CloseCode.AuthRequired);
    expect(raw.frames[0]).toMatchObject({ type: "error", code: "NOT_AUTHENTICATED" });
  });

  it("a malformed auth frame closes with 4003", async () => {
    const server = await startServer();
    const raw = await rawClient(server.url);
    raw.send({ type: "auth", roomId: 42 });
    await eventually(() => raw.state.closeCode !== undefined, "closed");
    expect(raw.state.closeCode).toBe(CloseCode.BadAuth);
    expect(raw.frames[0]).toMatchObject({ type: "error", code: "INVALID_FRAME" });
    expect(String(raw.frames[0]!.message)).toContain("roomId");
  });

  it("malformed frames get an error frame that says what was wrong; the connection and the others go on", async () => {
    const server = await startServer();
    const raw = await rawClient(server.url);
    await raw.auth();
    const other = makeEngine(server, { userId: "bob" });
    const seen: RemoteChangeEvent[] = [];
    other.on("remoteChange", (e) => seen.push(e));
    await other.connect();

    raw.send("not json {");
    raw.send({ type: "teleport" });
    raw.send(raw.change("m-bad", "t1", { entityId: 7 }));
    raw.send(raw.change("m-mismatch", "t1", { entity: todo("other") }));
    raw.send({ type: "change", messageId: "m-no-entity", timestamp: 1, userId: "raw", payload: { operation: "upsert", entityType: "todo", entityId: "t9", vector: {} } });
    await eventually(() => raw.frames.filter((f) => f.type === "error").length === 5, "five error frames");
    const errors = raw.frames.filter((f) => f.type === "error");
    expect(errors[0]).toMatchObject({ code: "INVALID_FRAME" });
    expect(String(errors[0]!.message)).toContain("not JSON");
    expect(errors[1]).toMatchObject({ code: "INVALID_FRAME" });
    expect(String(errors[1]!.message)).toContain("type");
    expect(errors[2]).toMatchObject({ code: "INVALID_FRAME", messageId: "m-bad" });
    expect(String(errors[2]!.message)).toContain("payload.entityId");
    expect(errors[3]).toMatchObject({ code: "INVALID_CHANGE", messageId: "m-mismatch" });
    expect(errors[4]).toMatchObject({ code: "INVALID_CHANGE", messageId: "m-no-entity" });

    raw.send(raw.change("m-good", "t1"));
    await eventually(() => raw.frames.some((f) => f.type === "ack" && f.messageId === "m-good"), "ack");
    await eventually(() => seen.length === 1, "relayed");
    expect(raw.state.closeCode).toBeUndefined();
    expect(seen[0]).toMatchObject({ entityId: "t1", operationId: "m-good", userId: "raw" });
  });

  it("an oversized frame closes that connection with 1009; the server keeps serving everyone else", async () => {
    const server = await startServer({ maxPayloadBytes: 2_048 });
    const raw = await rawClient(server.url);
    await raw.auth();
    const other = makeEngine(server);
    await other.connect();
    raw.send(raw.change("big", "t1", { entity: todo("t1", { blob: "x".repeat(4_000) }) }));
    await eventually(() => raw.state.closeCode !== undefined, "closed");
    expect(raw.state.closeCode).toBe(CloseCode.MessageTooBig);
    await other.sendChange({ type: "upsert", entityType: "todo", entityId: "t2", entity: todo("t2") });
    await other.flush();
    expect(other.getConnectionStatus()).toBe("connected");
  });

  it("the client refuses a change larger than the server's limit instead of being cut off", async () => {
    const server = await startServer({ maxPayloadBytes: 2_048 });
    const engine = makeEngine(server);
    const errors: SyncError[] = [];
    engine.on("error", (e) => errors.push(e));
    await engine.connect();
    await engine.sendChange({ type: "upsert", entityType: "todo", entityId: "big", entity: todo("big", { blob: "x".repeat(4_000) }) });
    expect(errors.map((e) => e.code)).toEqual(["REJECTED"]);
    expect(engine.getOfflineQueueSize()).toBe(0);
    await engine.sendChange({ type: "upsert", entityType: "todo", entityId: "small", entity: todo("small") });
    await engine.flush();
    expect(engine.getConnectionStatus()).toBe("connected");
  });

  it("rooms are isolated: nothing is received from, or written to, another room", async () => {
    const server = await startServer();
    const red = makeEngine(server, { roomId: "red", userId: "r" });
    const blue = makeEngine(server, { roomId: "blue", userId: "b" });
    const blueSeen: RemoteChangeEvent[] = [];
    blue.on("remoteChange", (e) => blueSeen.push(e));
    await red.connect();
    await blue.connect();
    await red.sendChange({ type: "upsert", entityType: "todo", entityId: "t1", entity: todo("t1", { title: "red" }) });
    await red.flush();
    await blue.sendChange({ type: "upsert", entityType: "todo", entityId: "t1", entity: todo("t1", { title: "blue" }) });
    await blue.flush();
    // A late joiner of blue catches up with blue's entity only.
    const late = makeEngine(server, { roomId: "blue", userId: "late" });
    await late.connect();
    expect(late.getEntity("todo", "t1")).toMatchObject({ title: "blue" });
    expect(red.getEntity("todo", "t1")).toMatchObject({ title: "red" });
    expect(blueSeen).toEqual([]);
    // A frame cannot name another room: the room is the one joined.
    const raw = await rawClient(server.url);
    await raw.auth("red");
    raw.send({ ...raw.change("m1", "t2"), roomId: "blue" });
    await eventually(() => raw.frames.some((f) => f.type === "ack"), "ack");
    const late2 = makeEngine(server, { roomId: "blue", userId: "late2" });
    await late2.connect();
    expect(late2.getEntity("todo", "t2")).toBeUndefined();
    expect(server.roomSize("blue")).toBe(3);
  });

  it("applies each messageId once: a resent change is acknowledged again and not re-applied", async () => {
    const server = await startServer();
    const watcher = makeEngine(server, { userId: "w" });
    const seen: RemoteChangeEvent[] = [];
    watcher.on("remoteChange", (e) => seen.push(e));
    await watcher.connect();
    const raw = await rawClient(server.url);
    await raw.auth();
    raw.send(raw.change("once", "t1"));
    raw.send(raw.change("once", "t1"));
    await eventually(() => raw.frames.filter((f) => f.type === "ack").length === 2, "two acks");
    const acks = raw.frames.filter((f) => f.type === "ack") as { payload: { seq: number; outcome: string } }[];
    expect(acks.map((a) => a.payload.outcome)).toEqual(["applied", "duplicate"]);
    expect(acks[1]!.payload.seq).toBe(acks[0]!.payload.seq);
    // After a reconnect too.
    raw.close();
    const again = await rawClient(server.url);
    await again.auth();
    again.send(again.change("once", "t1"));
    await eventually(() => again.frames.some((f) => f.type === "ack"), "ack");
    expect(again.frames.find((f) => f.type === "ack")).toMatchObject({ payload: { outcome: "duplicate", seq: acks[0]!.payload.seq } });
    await new Promise((r) => setImmediate(r));
    expect(seen).toHaveLength(1);
  });

  it("accepts the legacy { type: 'sync-change', data } frame as a change", async () => {
    const server = await startServer();
    const engine = makeEngine(server, { roomId: "default" });
    const seen: RemoteChangeEvent[] = [];
    engine.on("remoteChange", (e) => seen.push(e));
    await engine.connect();
    // A legacy client: no auth frame at all (the server has no authenticate), room "default".
    const legacy = await rawClient(server.url);
    legacy.send({ type: "sync-change", data: { type: "upsert", entityType: "todo", entityId: "l1", entity: todo("l1", { title: "legacy" }) } });
    await eventually(() => seen.length === 1, "relayed");
    expect(seen[0]).toMatchObject({ type: "upsert", entityId: "l1", entity: { title: "legacy" } });
    legacy.send({ type: "sync-change", data: { type: "delete", entityType: "todo", entityId: "l1" } });
    await eventually(() => seen.length === 2, "delete relayed");
    expect(seen[1]).toMatchObject({ type: "delete", entityId: "l1" });
    expect(engine.getEntity("todo", "l1")).toBeUndefined();
    // And after auth, through query parameters, in another room.
    const viaQuery = await rawClient(`${server.url}?roomId=default&userId=old`);
    viaQuery.send({ type: "sync-change", data: { type: "upsert", entityType: "todo", entityId: "l2", entity: todo("l2") } });
    await eventually(() => seen.length === 3, "relayed");
    expect(seen[2]).toMatchObject({ entityId: "l2", userId: "old" });
  });

  it("rate-limits each connection: over the limit a change is refused as RATE_LIMITED and the engine sends it again", async () => {
    const server = await startServer({ rateLimit: { maxMessages: 3, intervalMs: 200 } });
    const raw = await rawClient(server.url);
    await raw.auth();
    for (let i = 0; i < 5; i++) raw.send(raw.change(`r${i}`, `t${i}`));
    await eventually(() => raw.frames.filter((f) => f.type === "ack" || f.type === "error").length === 5, "five answers");
    expect(raw.frames.filter((f) => f.type === "ack")).toHaveLength(3);
    const limited = raw.frames.filter((f) => f.type === "error");
    expect(limited).toHaveLength(2);
    expect(limited[0]).toMatchObject({ code: "RATE_LIMITED", messageId: "r3" });
    expect(limited[0]!.retryAfterMs).toBeGreaterThan(0);

    const engine = makeEngine(server);
    await engine.connect();
    await Promise.all(Array.from({ length: 8 }, (_, i) => engine.sendChange({ type: "upsert", entityType: "todo", entityId: `e${i}`, entity: todo(`e${i}`) })));
    await engine.flush();
    expect(engine.getOfflineQueueSize()).toBe(0);
  });

  it("attaches to an existing http.Server on its path and leaves other upgrades alone", async () => {
    const { createServer } = await import("node:http");
    const http = createServer();
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    const server = await startServer({ server: http, path: "/custom" });
    const port = (http.address() as { port: number }).port;
    expect(server.url).toBe(`ws://127.0.0.1:${port}/custom`);
    const engine = makeEngine(server);
    await engine.connect();
    await server.close();
    expect(http.listening).toBe(true);
    await new Promise<void>((r) => http.close(() => r()));
  });

  it("never crashes on what a client sends: random frames get error frames and everyone else is served", async () => {
    const serverErrors: unknown[] = [];
    const server = await startServer({ onError: (e) => serverErrors.push(e), rateLimit: false });
    const raw = await rawClient(server.url);
    await raw.auth();
    const frame = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.json(),
      fc.record({ type: fc.constantFrom("change", "sync-change", "auth", "heartbeat", "ack"), payload: fc.anything(), data: fc.anything(), messageId: fc.anything() }, { requiredKeys: ["type"] }),
      fc.record({
        type: fc.constant("change"),
        messageId: fc.string({ unit: "binary", minLength: 1, maxLength: 20 }),
        timestamp: fc.double(),
        userId: fc.string(),
        payload: fc.record({ operation: fc.constantFrom("upsert", "delete"), entityType: fc.string({ unit: "binary" }), entityId: fc.string({ unit: "binary" }), entity: fc.anything(), vector: fc.dictionary(fc.string(), fc.integer()) }),
      }),
    );
    const frames = fc.sample(frame, { numRuns: 300, seed: 12 });
    for (const f of frames) raw.send(typeof f === "string" ? f : JSON.stringify(f));
    raw.send({ type: "heartbeat" });
    await eventually(() => raw.frames.some((f) => f.type === "heartbeat"), "the connection still answers");
    expect(raw.state.closeCode).toBeUndefined();
    const a = makeEngine(server, { userId: "a" });
    const b = makeEngine(server, { userId: "b" });
    await a.connect();
    await b.connect();
    await a.sendChange({ type: "upsert", entityType: "todo", entityId: "ok", entity: todo("ok") });
    await a.flush();
    await eventually(() => b.getEntity("todo", "ok") !== undefined, "relayed");
    expect(serverErrors).toEqual([]);
  });

  it("drops a client that does not read (1013) instead of buffering for it without bound; the others go on", async () => {
    const server = await startServer({ rateLimit: false, maxPayloadBytes: 4 * 1024 * 1024 });
    const stalled = await rawClient(server.url);
    await stalled.auth();
    (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const reader = makeEngine(server, { userId: "reader" });
    await reader.connect();
    const writer = await rawClient(server.url);
    await writer.auth();
    const blob = "x".repeat(1024 * 1024);
    for (let i = 0; i < 48; i++) writer.send(writer.change(`big${i}`, `big${i}`, { entity: todo(`big${i}`, { blob }) }));
    await eventually(() => server.roomSize("room") === 2, "the stalled client was dropped", 30_000);
    await eventually(() => reader.getEntity("todo", "big47") !== undefined, "the reader got everything", 30_000);
    expect(reader.getConnectionStatus()).toBe("connected");
  });

  it("rejects bad options with INVALID_CONFIG", async () => {
    const { createWebSocketSyncServer } = await import("./create-server");
    await expect(createWebSocketSyncServer({ path: "no-slash" })).rejects.toMatchObject({ code: "INVALID_CONFIG" });
    await expect(createWebSocketSyncServer({ maxPayloadBytes: 0 })).rejects.toMatchObject({ code: "INVALID_CONFIG" });
    await expect(createWebSocketSyncServer({ rateLimit: { maxMessages: -1, intervalMs: 1 } })).rejects.toMatchObject({ code: "INVALID_CONFIG" });
  });
});
