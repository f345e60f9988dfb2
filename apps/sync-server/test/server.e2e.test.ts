// One kalphite-server process with a tokens file, both protocols, auth and rooms.
import { rmSync } from "node:fs";
import fc from "fast-check";
import { WebSocket } from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addTodoOp, ensureBuilt, opsClient, postJson, startServer, tempDir, writeTokens, wsClient, type ServerProcess } from "./helpers";

let server: ServerProcess;
let dir: string;
const ALICE = "alice-token";
const BOB = "bob-token";

beforeAll(async () => {
  await ensureBuilt();
  dir = tempDir();
  const tokens = writeTokens(dir, { [ALICE]: { user: "alice", rooms: ["team", "alice-only"] }, [BOB]: { user: "bob", rooms: ["team", "default"] } });
  server = await startServer(["--data-dir", `${dir}/data`, "--tokens", tokens]);
});

afterAll(async () => {
  await server?.stop("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("kalphite-server", () => {
  it("prints exactly one line, its URL, on stdout", () => {
    expect(server.stdout()).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+\n$/);
    expect(server.stderr()).toMatch(/ info started url=http:\/\/127\.0\.0\.1:\d+ storage=pglite/);
  });

  it("answers GET /health with its status, uptime and storage", async () => {
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: "ok", storage: "pglite", auth: true });
    expect(typeof body.uptime).toBe("number");
    expect((await fetch(`${server.url}/health`, { method: "POST" })).status).toBe(405);
  });

  it("serves operations: a ModernSyncEngine's todo mutators reach another client of the room, over WebSocket and SSE notifications", async () => {
    const base = `${server.url}/rooms/team`;
    const a = await opsClient(base, { token: ALICE });
    const b = await opsClient(base, { token: BOB });
    const sse = await opsClient(base, { token: BOB, transport: "sse" });
    try {
      await a.engine.executeOperation("addTodo", [{ id: "ops1", title: "Buy milk", now: 1000, project: "Home", projectId: "home" }]);
      await b.until((e) => e.has("todo/ops1") && e.has("project/home"));
      await sse.until((e) => e.has("todo/ops1"));
      expect(b.entities.get("todo/ops1")).toMatchObject({ title: "Buy milk", completed: false, project: "Home" });
      await b.engine.executeOperation("completeTodo", [{ id: "ops1", now: 2000 }]);
      await a.until((e) => (e.get("todo/ops1") as { completed?: boolean } | undefined)?.completed === true);
      await sse.until((e) => (e.get("todo/ops1") as { completed?: boolean } | undefined)?.completed === true);
    } finally {
      await Promise.all([a.close(), b.close(), sse.close()]);
    }
  });

  it("refuses an operation the mutator rejects, and reports it to the client", async () => {
    const a = await opsClient(`${server.url}/rooms/team`, { token: ALICE });
    try {
      const failed = new Promise<string>((resolve) => a.engine.onOperationFailed((event) => resolve(JSON.stringify(event))));
      await a.engine.executeOperation("completeTodo", [{ id: "no-such-todo", now: 1 }]);
      expect(await failed).toMatch(/no todo with id/);
      const bad = await postJson(`${server.url}/rooms/team/sync/operations`, { operations: [{ ...addTodoOp("raw", 1), args: [{ id: "x", title: "   ", now: 1 }] }] }, ALICE);
      expect(bad.status).toBe(200);
      expect(bad.body.confirmations[0]).toMatchObject({ success: false });
      expect(JSON.stringify(bad.body)).toMatch(/title/);
    } finally {
      await a.close();
    }
  });

  it("serves entity sync on /sync/ws: NetworkSyncEngines of a room converge", async () => {
    const a = await wsClient(server.wsUrl, "team", { token: ALICE, userId: "alice" });
    const b = await wsClient(server.wsUrl, "team", { token: BOB, userId: "bob" });
    try {
      const seen = new Promise<void>((resolve) => b.on("remoteChange", (c) => c.entityId === "ws1" && resolve()));
      await a.sendChange({ type: "upsert", entityType: "todo", entityId: "ws1", entity: { id: "ws1", type: "todo", title: "over ws", updatedAt: 1 } });
      await a.flush();
      await seen;
      expect(b.getEntity("todo", "ws1")).toMatchObject({ title: "over ws" });
    } finally {
      await Promise.all([a.disconnect(), b.disconnect()]);
    }
  });

  it("refuses missing, unknown and wrong-room tokens on every endpoint", async () => {
    const state = { stateVersion: "" };
    expect((await postJson(`${server.url}/rooms/team/sync/state`, state)).status).toBe(401);
    expect((await postJson(`${server.url}/rooms/team/sync/state`, state, "nope")).status).toBe(401);
    expect((await postJson(`${server.url}/rooms/alice-only/sync/state`, state, BOB)).status).toBe(401);
    const refused = await postJson(`${server.url}/sync/operations`, { operations: [addTodoOp("x", 1)] }, ALICE); // alice has no "default"
    expect(refused).toMatchObject({ status: 401, body: { error: { code: "UNAUTHORIZED" } } });
    expect((await postJson(`${server.url}/sync/state`, state, BOB)).status).toBe(200);
    expect((await fetch(`${server.url}/rooms/team/sync/events`)).status).toBe(401);

    const upgrade = (url: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, { headers });
        ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        ws.on("open", () => {
          ws.close();
          resolve(101);
        });
        ws.on("error", () => undefined);
      });
    const notify = `${server.url.replace("http", "ws")}/rooms/team/sync/notify`;
    expect(await upgrade(notify)).toBe(401);
    expect(await upgrade(notify, { authorization: "Bearer nope" })).toBe(401);
    expect(await upgrade(notify, { authorization: `Bearer ${BOB}` })).toBe(101);

    await expect(wsClient(server.wsUrl, "team")).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(wsClient(server.wsUrl, "team", { token: "nope" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(wsClient(server.wsUrl, "alice-only", { token: BOB, userId: "bob" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    // A token is its user's: bob's token cannot act as alice.
    await expect(wsClient(server.wsUrl, "team", { token: BOB, userId: "alice" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    expect(server.stderr()).toMatch(/warn refused protocol=entities room=team .*reason="unknown token"/);
  });

  it("keeps rooms isolated in both protocols", async () => {
    const pushed = await postJson(`${server.url}/rooms/alice-only/sync/operations`, { operations: [addTodoOp("iso", 1, "secret")] }, ALICE);
    expect(pushed.body.confirmations[0]).toMatchObject({ success: true });
    const inTeam = await postJson(`${server.url}/rooms/team/sync/state`, { stateVersion: "" }, ALICE);
    expect(inTeam.body.entities.map((e: { id: string }) => e.id)).not.toContain("secret");
    const inOwn = await postJson(`${server.url}/rooms/alice-only/sync/state`, { stateVersion: "" }, ALICE);
    expect(inOwn.body.entities.map((e: { id: string }) => e.id)).toEqual(["secret"]);

    const a = await wsClient(server.wsUrl, "alice-only", { token: ALICE, userId: "alice" });
    await a.sendChange({ type: "upsert", entityType: "todo", entityId: "ws-secret", entity: { id: "ws-secret", type: "todo", updatedAt: 1 } });
    await a.flush();
    await a.disconnect();
    const b = await wsClient(server.wsUrl, "team", { token: ALICE, userId: "alice" });
    expect(b.getEntity("todo", "ws-secret")).toBeUndefined();
    await b.disconnect();
    const again = await wsClient(server.wsUrl, "alice-only", { token: ALICE, userId: "alice" });
    expect(again.getEntity("todo", "ws-secret")).toBeDefined();
    await again.disconnect();
  });

  it("answers bad requests with an error body and keeps serving", async () => {
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/sync/ws`)).status).toBe(426);
    expect((await fetch(`${server.url}/rooms/%E0%A4%A/sync/state`, { method: "POST", body: "{}" })).status).toBe(400);
    const garbage = await fetch(`${server.url}/rooms/team/sync/operations`, { method: "POST", headers: { authorization: `Bearer ${ALICE}` }, body: "{not json" });
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as { error: { code: string } }).error.code).toBe("BAD_REQUEST");
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it("survives random requests (paths, methods, headers, bodies): every one gets an answer, the server keeps serving (property)", async () => {
    const path = fc.oneof(
      fc.constantFrom("/sync/operations", "/sync/state", "/sync/events", "/sync/notify", "/sync/ws", "/health", "/", "/rooms/team/sync/state", "/rooms/team/sync/operations"),
      fc.string({ unit: "binary", maxLength: 30 }).map((room) => `/rooms/${encodeURIComponent(room)}/sync/${["operations", "state", "events"][room.length % 3]}`),
    );
    await fc.assert(
      fc.asyncProperty(
        path,
        fc.constantFrom("GET", "POST", "PUT", "OPTIONS", "DELETE"),
        fc.constantFrom(undefined, ALICE, BOB, "bad"),
        fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), fc.constant(JSON.stringify({ operations: [{ id: 1, clientId: "fuzz", name: "addTodo", args: [{}], timestamp: 1 }] }))),
        async (p, method, token, body) => {
          const res = await fetch(`${server.url}${p}`, {
            method,
            headers: token ? { authorization: `Bearer ${token}` } : {},
            ...(method === "GET" || method === "OPTIONS" ? {} : { body }),
            signal: AbortSignal.timeout(10_000),
          });
          // An SSE stream that was let in stays open: close it.
          if (res.headers.get("content-type")?.startsWith("text/event-stream")) await res.body?.cancel();
          else await res.text();
          expect(res.status).toBeLessThan(600);
          expect(res.status).not.toBe(500);
        },
      ),
      { numRuns: 150 },
    );
    expect(await (await fetch(`${server.url}/health`)).json()).toMatchObject({ status: "ok" });
  });
});
