// Shutdown and crashes: SIGTERM lets pushes in flight finish and closes
// connections with a reason; kill -9 mid-stream loses nothing acknowledged.
import { request } from "node:http";
import { rmSync } from "node:fs";
import { WebSocket } from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addTodoOp, ensureBuilt, postJson, startServer, tempDir, wsClient, type ServerProcess } from "./helpers";

const TOKEN = "secret";
let dir: string;
const started: ServerProcess[] = [];
const start = async (args: string[]) => {
  const server = await startServer(["--token", TOKEN, ...args]);
  started.push(server);
  return server;
};

beforeAll(async () => {
  await ensureBuilt();
  dir = tempDir();
});

afterAll(async () => {
  await Promise.all(started.map((s) => s.stop("SIGKILL")));
  rmSync(dir, { recursive: true, force: true });
});

describe("shutdown and crashes", () => {
  it("SIGTERM: a push in flight finishes and is answered, connections close with a reason, exit 0, the data stays", async () => {
    const data = `${dir}/graceful`;
    const server = await start(["--data-dir", data, "--max-rooms", "1"]);
    // Open the room first, so the push below is only waiting for its body.
    expect((await postJson(`${server.url}/sync/state`, { stateVersion: "" }, TOKEN)).status).toBe(200);
    // --max-rooms 1: a second operation room is refused, the first keeps working.
    expect(await postJson(`${server.url}/rooms/second/sync/state`, { stateVersion: "" }, TOKEN)).toMatchObject({ status: 503, body: { error: { code: "ROOM_LIMIT" } } });

    const notify = new WebSocket(`${server.url.replace("http", "ws")}/sync/notify`, { headers: { authorization: `Bearer ${TOKEN}` } });
    await new Promise((resolve) => notify.on("open", resolve));
    const notifyClosed = new Promise<[number, string]>((resolve) => notify.on("close", (code, reason) => resolve([code, reason.toString()])));
    const entity = await wsClient(server.wsUrl, "team", { token: TOKEN });
    const entityClosed = new Promise<{ code?: number; reason: string }>((resolve) => entity.on("disconnected", (event) => resolve(event)));

    const body = JSON.stringify({ operations: Array.from({ length: 50 }, (_, i) => addTodoOp("graceful", i + 1)) });
    // Expect: 100-continue: once "continue" arrives the server has parsed the headers and taken the request.
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${server.url}/sync/operations`, {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), authorization: `Bearer ${TOKEN}`, expect: "100-continue" },
      });
      req.on("continue", () => {
        server.child.kill("SIGTERM");
        void server.waitForLog(/info closing reason=SIGTERM/).then(() => req.end(body));
      });
      req.on("response", (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on("error", reject);
    });
    const { status, body: text } = await answer;
    expect(status).toBe(200);
    const confirmations = (JSON.parse(text) as { confirmations: { success: boolean }[] }).confirmations;
    expect(confirmations).toHaveLength(50);
    expect(confirmations.every((c) => c.success)).toBe(true);

    expect(await notifyClosed).toEqual([1001, "server closing"]);
    expect((await entityClosed).code).toBe(1001);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stderr()).toMatch(/info closed reason=SIGTERM/);
    await entity.disconnect();

    const again = await start(["--data-dir", data]);
    const state = await postJson(`${again.url}/sync/state`, { stateVersion: "" }, TOKEN);
    expect(state.body.entities).toHaveLength(50);
    await again.stop();
  });

  it("kill -9 mid-stream, then a restart on the same data dir: nothing acknowledged is lost (operations and entities)", async () => {
    const data = `${dir}/crash`;
    const server = await start(["--data-dir", data]);
    const acknowledgedOps: string[] = [];
    const acknowledgedEntities: string[] = [];
    const entity = await wsClient(server.wsUrl, "crash", { token: TOKEN });
    entity.on("ack", () => undefined);

    let killed = false;
    const pushes = (async () => {
      for (let i = 1; ; i++) {
        try {
          const res = await postJson(`${server.url}/sync/operations`, { operations: [addTodoOp("crash", i)] }, TOKEN);
          if (res.status === 200 && res.body.confirmations[0]?.success) acknowledgedOps.push(`t${i}`);
        } catch {
          return; // the server is gone
        }
        if (i === 40 && !killed) {
          killed = true;
          server.child.kill("SIGKILL");
        }
      }
    })();
    const changes = (async () => {
      for (let i = 1; !killed; i++) {
        const id = `e${i}`;
        await entity.sendChange({ type: "upsert", entityType: "todo", entityId: id, entity: { id, type: "todo", updatedAt: i } });
        try {
          await entity.flush();
          acknowledgedEntities.push(id);
        } catch {
          return;
        }
      }
    })();
    await pushes;
    await Promise.race([changes, server.exited]);
    expect(await server.exited).toMatchObject({ signal: "SIGKILL" });
    await entity.disconnect();
    expect(acknowledgedOps.length).toBeGreaterThanOrEqual(39);
    expect(acknowledgedEntities.length).toBeGreaterThan(0);

    const again = await start(["--data-dir", data]);
    const state = await postJson(`${again.url}/sync/state`, { stateVersion: "" }, TOKEN);
    const stored = new Set(state.body.entities.map((e: { id: string }) => e.id));
    expect(acknowledgedOps.filter((id) => !stored.has(id))).toEqual([]);

    const reader = await wsClient(again.wsUrl, "crash", { token: TOKEN });
    expect(acknowledgedEntities.filter((id) => reader.getEntity("todo", id) === undefined)).toEqual([]);
    await reader.disconnect();
    await again.stop();
  });

  it("refuses to start on a bad tokens file or bad flags, with one clear line and exit code 1", async () => {
    const { spawnSync } = await import("node:child_process");
    const { SERVER_BIN } = await import("./helpers");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(`${dir}/bad-tokens.json`, JSON.stringify({ t: { rooms: [] } }));
    const bad = spawnSync(process.execPath, [SERVER_BIN, "--port", "0", "--memory", "--tokens", `${dir}/bad-tokens.json`], { encoding: "utf8" });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/INVALID_TOKENS_FILE: --tokens .*bad-tokens\.json at t\.rooms/);
    expect(bad.stdout).toBe("");
    const port = spawnSync(process.execPath, [SERVER_BIN, "--port", "70000"], { encoding: "utf8" });
    expect(port.status).toBe(1);
    expect(port.stderr).toMatch(/--port must be an integer from 0 to 65535/);
    const both = spawnSync(process.execPath, [SERVER_BIN, "--memory", "--data-dir", dir], { encoding: "utf8" });
    expect(both.status).toBe(1);
    expect(both.stderr).toMatch(/--data-dir or --memory, not both/);
    const emptyToken = spawnSync(process.execPath, [SERVER_BIN, "--memory", "--token", ""], { encoding: "utf8" });
    expect(emptyToken.status).toBe(1);
    expect(emptyToken.stderr).toMatch(/--token must not be empty/);
    const pool = spawnSync(process.execPath, [SERVER_BIN, "--memory", "--pool-size", "0"], { encoding: "utf8" });
    expect(pool.status).toBe(1);
    expect(pool.stderr).toMatch(/--pool-size must be an integer from 1 to 100/);
    const unreachable = spawnSync(process.execPath, [SERVER_BIN, "--port", "0", "--data-dir", `${dir}/unreachable`, "--postgres", "postgres://nobody:x@127.0.0.1:1/none"], { encoding: "utf8" });
    expect(unreachable.status).toBe(1);
    expect(unreachable.stderr).toMatch(/STORAGE_FAILED: cannot connect to PostgreSQL/);
    expect(unreachable.stdout).toBe("");
  });
});
