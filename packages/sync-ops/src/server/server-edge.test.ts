import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createPGliteSyncStorage } from "../storage/pglite-storage";
import type { SyncStorage } from "../storage/types";
import { listen, op, post } from "../test-support/http";
import { createOperationSyncServer, type OperationSyncServer, type OperationSyncServerOptions } from "./operation-sync-server";
import { createSyncValidator } from "./sync-validator";

const todoSchema = z.object({ id: z.string(), type: z.literal("todo"), title: z.string().min(1) });
const mutators = {
  addTodo: async (tx: any, id: string, title: string) => tx.upsert("todo", id, { title }),
  addNote: async (tx: any, id: string) => tx.upsert("note", id, {}),
  removeTodo: async (tx: any, id: string) => tx.delete("todo", id),
};

let storage: SyncStorage;
const servers: OperationSyncServer[] = [];
const start = async (options: Partial<OperationSyncServerOptions> = {}) => {
  const server = await createOperationSyncServer({ mutators, schema: { todo: todoSchema, note: z.looseObject({ id: z.string(), type: z.literal("note") }) }, storage, ...options });
  servers.push(server);
  return server;
};
let seq = 0;
const client = () => `edge-${++seq}`;

beforeAll(async () => {
  storage = await createPGliteSyncStorage();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await storage.close();
});

describe("bad input gets a clear error and the server keeps serving", () => {
  it("answers malformed bodies with 400 and the reason", async () => {
    const server = await start();
    const ops = `${server.url}/sync/operations`;
    const cases: [unknown, boolean, RegExp][] = [
      ["{not json", true, /not valid JSON/],
      ["", true, /empty/],
      [{ nope: 1 }, false, /operations/],
      [{ operations: [{ name: "addTodo", args: [], id: 0, clientId: "c", timestamp: 1 }] }, false, /operations\.0\.id/],
      [{ operations: [{ name: "addTodo", args: "x", id: 1, clientId: "c", timestamp: 1 }] }, false, /operations\.0\.args/],
      [{ operations: [{ name: "", args: [], id: 1, clientId: "c", timestamp: 1 }] }, false, /operations\.0\.name/],
      [[1, 2], false, /body|expected object/],
    ];
    for (const [body, raw, reason] of cases) {
      const res = await post(ops, body, { raw });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe("BAD_REQUEST");
      expect(res.body.error.message).toMatch(reason);
    }
    const state = await post(`${server.url}/sync/state`, { stateVersion: 5 });
    expect(state.status).toBe(400);
    expect(state.body.error.message).toMatch(/stateVersion/);
    const fine = await post(ops, { operations: [op(client(), 1, "addTodo", "fine", "still serving")] });
    expect(fine.status).toBe(200);
  });

  it("answers oversized bodies and pushes with too many operations with 413", async () => {
    const server = await start({ maxBodyBytes: 1024, maxOperationsPerPush: 3 });
    const big = await post(`${server.url}/sync/operations`, { operations: [op(client(), 1, "addTodo", "x", "y".repeat(5000))] });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe("PAYLOAD_TOO_LARGE");
    const c = client();
    const many = await post(`${server.url}/sync/operations`, { operations: [1, 2, 3, 4].map((i) => op(c, i, "addTodo", `${c}${i}`, "t")) });
    expect(many.status).toBe(413);
    expect(many.body.error.message).toMatch(/4 operations.*limit is 3/);
    // A chunked body (no Content-Length) over the limit is refused too.
    const chunked = await fetch(`${server.url}/sync/operations`, {
      method: "POST",
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(`{"operations":[],"pad":"${"z".repeat(4000)}"}`));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect((await post(`${server.url}/sync/state`, {})).status).toBe(200);
  });

  it("answers missing and wrong tokens with 401, on HTTP and on the notification endpoints", async () => {
    const server = await start({ authenticate: async (token) => token === "good" });
    const body = { operations: [op(client(), 1, "addTodo", "auth", "t")] };
    const none = await post(`${server.url}/sync/operations`, body);
    expect(none.status).toBe(401);
    expect(none.body.error).toEqual({ code: "UNAUTHORIZED", message: expect.stringMatching(/missing bearer token/) });
    expect(none.headers.get("www-authenticate")).toMatch(/Bearer/);
    expect((await post(`${server.url}/sync/operations`, body, { token: "bad" })).status).toBe(401);
    expect((await post(`${server.url}/sync/state`, {}, { token: "bad" })).status).toBe(401);
    expect((await post(`${server.url}/sync/operations`, body, { token: "good" })).status).toBe(200);
    const ws = server.url.replace("http", "ws") + "/sync/notify";
    await expect(listen(ws)).rejects.toThrow(/401/);
    await expect(listen(ws, { token: "bad" })).rejects.toThrow(/401/);
    const ok = await listen(ws, { token: "good" });
    await ok.close();
    expect((await fetch(`${server.url}/sync/events`)).status).toBe(401);
    const sse = await fetch(`${server.url}/sync/events?token=good`);
    expect(sse.status).toBe(200);
    await sse.body?.cancel();
  });

  it("answers an authenticator that throws with 401 and reports it", async () => {
    const errors: unknown[] = [];
    const server = await start({ authenticate: () => { throw new Error("auth backend down"); }, onError: (e) => errors.push(e) });
    const res = await post(`${server.url}/sync/state`, {}, { token: "x" });
    expect(res.status).toBe(401);
    expect(errors).toHaveLength(1);
  });

  it("answers unknown paths with 404, wrong methods with 405, garbage HTTP with 400", async () => {
    const server = await start();
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    const get = await fetch(`${server.url}/sync/operations`);
    expect(get.status).toBe(405);
    expect(((await get.json()) as any).error.code).toBe("METHOD_NOT_ALLOWED");
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(server.port, "127.0.0.1", () => socket.write("GARBAGE\r\n\r\n"));
      let text = "";
      socket.on("data", (d) => (text += String(d)));
      socket.on("close", () => resolve(text));
      socket.on("error", () => resolve(text));
    });
    expect(reply).toMatch(/400/);
    expect((await post(`${server.url}/sync/state`, {})).status).toBe(200);
  });
});

describe("POST /sync/state", () => {
  it("serves deltas since a version with typed deletions, filtered by entityTypes, and resets when it cannot", async () => {
    const server = await start();
    const c = client();
    const push = (ops: unknown[]) => post(`${server.url}/sync/operations`, { operations: ops });
    await push([op(c, 1, "addTodo", `${c}-1`, "one"), op(c, 2, "addNote", `${c}-n`)]);
    const v1 = (await post(`${server.url}/sync/state`, {})).body;
    expect(v1.reset).toBe(true);
    expect(typeof v1.stateVersion).toBe("string");
    expect(typeof v1.syncTimestamp).toBe("number");
    await push([op(c, 3, "removeTodo", `${c}-1`), op(c, 4, "addTodo", `${c}-2`, "two")]);
    const delta = (await post(`${server.url}/sync/state`, { stateVersion: v1.stateVersion, clientId: c, confirmedOperationId: 0 })).body;
    expect(delta).toMatchObject({
      reset: false,
      entities: [{ id: `${c}-2`, type: "todo", title: "two" }],
      deleted: [{ entityType: "todo", entityId: `${c}-1` }],
      deletedEntityIds: [`${c}-1`],
      lastOperationIds: { [c]: 4 },
      failedOperations: [],
    });
    expect(Number(delta.stateVersion)).toBeGreaterThan(Number(v1.stateVersion));
    const notes = (await post(`${server.url}/sync/state`, { entityTypes: ["note"] })).body;
    expect(notes.entities.every((e: any) => e.type === "note")).toBe(true);
    expect(notes.entities).toContainEqual({ id: `${c}-n`, type: "note" });
    await server.storage.compact(Number(delta.stateVersion));
    const stale = (await post(`${server.url}/sync/state`, { stateVersion: v1.stateVersion })).body;
    expect(stale.reset).toBe(true);
    expect(stale.entities).toContainEqual({ id: `${c}-2`, type: "todo", title: "two" });
    expect(stale.entities.map((e: any) => e.id)).not.toContain(`${c}-1`);
  });
});

describe("notifications", () => {
  it("sends state_changed to everyone, operation_confirmed to the pushing client, and presence, over WebSocket", async () => {
    const server = await start();
    const a = client();
    const b = client();
    const base = server.url.replace("http", "ws") + "/sync/notify";
    const bob = await listen(`${base}?clientId=${b}`);
    const alice = await listen(`${base}?clientId=${a}`);
    expect(await bob.next("client_connected", (m) => m.payload.clientId === a)).toMatchObject({ payload: { clientId: a } });
    expect(await alice.next("client_connected", (m) => m.payload.clientId === b)).toMatchObject({ payload: { clientId: b } });
    await post(`${server.url}/sync/operations`, { operations: [op(a, 1, "addTodo", `${a}-t`, "hi")] });
    const changed = await bob.next("state_changed");
    expect(changed.payload).toMatchObject({ affectedEntityTypes: ["todo"], triggerClientId: a });
    expect(typeof changed.payload.stateVersion).toBe("string");
    expect(changed.payload).not.toHaveProperty("entities");
    expect(await alice.next("operation_confirmed")).toMatchObject({ payload: { operationId: 1, clientId: a, success: true } });
    expect(bob.messages.some((m) => m.type === "operation_confirmed")).toBe(false);
    await alice.close();
    expect(await bob.next("client_disconnected", (m) => m.payload.clientId === a)).toMatchObject({ payload: { clientId: a } });
    await bob.close();
  });

  it("sends state_changed over SSE", async () => {
    const server = await start();
    const c = client();
    const res = await fetch(`${server.url}/sync/events?clientId=${c}`);
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    const frame = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        text += decoder.decode(value);
        const match = /data: (.*)\n\n/.exec(text);
        if (match) return JSON.parse(match[1] as string);
      }
    })();
    while (server.connectionCount() === 0) await new Promise((r) => setImmediate(r));
    await post(`${server.url}/sync/operations`, { operations: [op(client(), 1, "addTodo", `${c}-sse`, "sse")] });
    const message = await frame;
    expect(message).toMatchObject({ type: "state_changed", payload: { affectedEntityTypes: ["todo"] } });
    await reader.cancel();
  });
});

describe("attaching and middleware", () => {
  it("attaches to an existing http.Server and leaves its other paths alone", async () => {
    const http: Server = createServer((req, res) => {
      if (req.url === "/hello") res.end("world");
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    try {
      const server = await start({ server: http });
      expect((await (await fetch(`${server.url}/hello`)).text())).toBe("world");
      const res = await post(`${server.url}/sync/operations`, { operations: [op(client(), 1, "addTodo", "attached", "yes")] });
      expect(res.body.confirmations[0].success).toBe(true);
      await server.close();
      expect(http.listening).toBe(true);
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });

  it("SyncValidator.createMiddleware() is a plain (req, res, next) validating a push body", async () => {
    const validator = createSyncValidator({ schema: { todo: todoSchema }, operations: ["addTodo"] });
    const middleware = validator.createMiddleware();
    const http = createServer((req, res) => {
      middleware(req, res, () => {
        res.end(JSON.stringify({ ok: (req as any).body.operations.length }));
      });
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(http.address() as any).port}`;
    try {
      expect((await post(url, { operations: [op("m", 1, "addTodo", "x", "y")] })).body).toEqual({ ok: 1 });
      const unknown = await post(url, { operations: [op("m", 1, "dropTables")] });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.message).toMatch(/Unknown operation "dropTables"/);
      expect((await post(url, "{", { raw: true })).status).toBe(400);
      // With a body parser in front (Express), req.body is used as is.
      const parsed = { body: { operations: [op("m", 1, "upserttodo", "x", {})] } } as any;
      let called = false;
      middleware(parsed, {}, () => (called = true));
      expect(called).toBe(true);
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
    expect(validator.validateStateData({ id: "t", type: "todo", title: "ok" })).toMatchObject({ success: true, data: { id: "t", type: "todo", isValid: true } });
    expect(validator.validateStateData({ id: "t", type: "todo", title: "" })).toMatchObject({ success: false });
    expect(validator.validateStateData({ id: "t", type: "other" })).toMatchObject({ success: false, error: expect.stringMatching(/no schema/) });
    expect(validator.validateOperation({ name: "addTodo", args: ["a"] })).toMatchObject({ success: true, data: { name: "addTodo", isValid: true } });
    expect(validator.validateOperation({ name: "addTodo", args: [1n] })).toMatchObject({ success: false });
  });
});
