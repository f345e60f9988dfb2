/**
 * The wire fuzzer: generated and mutated messages against both servers
 * (`@kalphite/sync-ws`'s WebSocket entity sync and `@kalphite/sync-ops`'s
 * HTTP operations + notifications): HTTP bodies, headers, methods, paths, raw
 * malformed HTTP, WebSocket frames of both protocols, wrong types, huge
 * values, truncated JSON. Every message must be answered — a 2xx/4xx status
 * (never 5xx), an error frame, any reply frame, or a close with a code — and
 * the server must keep serving.
 */
import { connect as tcpConnect } from "node:net";
import { WebSocket } from "ws";
import { createRandom, type Random } from "../src/random";

/** Where the two servers listen. */
export interface FuzzTargets {
  /** `http://127.0.0.1:port` of the operation server (sync-ops). */
  readonly opsUrl: string;
  /** `ws://127.0.0.1:port/sync/ws` of the entity-sync server (sync-ws). */
  readonly wsUrl: string;
}

/** What the fuzzer saw. */
export interface FuzzReport {
  readonly messages: number;
  /** Outcome → count: `http 400`, `ws error INVALID_FRAME`, `ws close 1009`, … */
  readonly outcomes: Record<string, number>;
  /** Messages that got a 5xx, no answer, or a hung connection (each with the message, shortened). */
  readonly failures: string[];
  readonly wallMs: number;
}

const PUSH_NAMES = ["addTodo", "completeTodo", "deleteTodo", "upserttodo", "deletetodo", "nope", "", "__proto__", "constructor"];

/** A value of a surprising type or size. */
function weird(r: Random): unknown {
  switch (r.int(0, 17)) {
    case 0: return null;
    case 1: return -1;
    case 2: return 1e308;
    case 3: return Number.MAX_SAFE_INTEGER + 2;
    case 4: return "";
    case 5: return "x".repeat(r.int(1000, 300_000));
    case 6: return [];
    case 7: return {};
    case 8: return true;
    case 9: return "\ud800\udfff\ud800";
    case 10: return { __proto__: { polluted: true }, constructor: 1 };
    case 11: return JSON.parse("[".repeat(2000) + "]".repeat(2000)) as unknown;
    case 12: return Array.from({ length: r.int(1, 3000) }, (_, i) => i);
    case 13: return 0.5;
    case 14: return "1e999";
    case 15: return { id: "t1", type: "todo" };
    case 16: return -0;
    default: return String.fromCharCode(...Array.from({ length: 20 }, () => r.int(0, 0xffff)));
  }
}

/** Replaces, deletes or adds one field somewhere in `value` (objects and arrays). */
function mutate(r: Random, value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== "object" || depth > 4) return weird(r);
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  const keys = Object.keys(copy);
  const roll = r.int(0, 9);
  if (keys.length === 0 || roll === 0) {
    copy[r.chance(0.5) ? "extra" : String(r.int(0, 5))] = weird(r);
    return copy;
  }
  const k = keys[r.int(0, keys.length - 1)] as string;
  if (roll === 1) delete copy[k];
  else if (roll < 6) copy[k] = weird(r);
  else copy[k] = mutate(r, copy[k], depth + 1);
  return copy;
}

function validPush(r: Random): unknown {
  const n = r.int(1, 4);
  const base = r.int(1, 50);
  return {
    operations: Array.from({ length: n }, (_, i) => ({
      name: r.chance(0.7) ? "addTodo" : (PUSH_NAMES[r.int(0, PUSH_NAMES.length - 1)] as string),
      args: [{ id: `f${r.int(0, 30)}`, title: `fuzz ${r.int(0, 999)}`, now: 1_700_000_000_000 + r.int(0, 1e6) }],
      id: base + i,
      clientId: `fuzz-${r.int(0, 20)}`,
      timestamp: 1_700_000_000_000,
    })),
  };
}

function validState(r: Random): unknown {
  return {
    ...(r.chance(0.5) ? { stateVersion: String(r.int(0, 30)) } : {}),
    ...(r.chance(0.5) ? { clientId: `fuzz-${r.int(0, 20)}`, confirmedOperationId: r.int(0, 40) } : {}),
    ...(r.chance(0.3) ? { entityTypes: ["todo"] } : {}),
  };
}

/** A body: valid, mutated, truncated, garbage, empty or too large. */
function body(r: Random, valid: unknown): string {
  const text = JSON.stringify(r.chance(0.25) ? valid : mutate(r, valid));
  switch (r.int(0, 9)) {
    case 0: return text.slice(0, r.int(0, Math.max(0, text.length - 1)));
    case 1: return Buffer.from(Array.from({ length: r.int(0, 200) }, () => r.int(0, 255))).toString("latin1");
    case 2: return "";
    case 3: return r.chance(0.5) ? "x".repeat(1_100_000) : JSON.stringify({ operations: Array.from({ length: 1001 }, (_, i) => ({ name: "addTodo", args: [], id: i + 1, clientId: "big", timestamp: 0 })) });
    default: return text;
  }
}

type Outcome = string;

function countInto(outcomes: Record<string, number>, key: string) {
  outcomes[key] = (outcomes[key] ?? 0) + 1;
}

async function httpCase(r: Random, opsUrl: string): Promise<{ outcome: Outcome; ok: boolean; what: string }> {
  const paths = ["/sync/operations", "/sync/operations", "/sync/state", "/sync/state", "/sync/notify", "/sync/events", "/nope", "/sync/operations?token=%ZZ", `/${"a".repeat(5000)}`, "/rooms/x/sync/state"];
  const path = paths[r.int(0, paths.length - 1)] as string;
  const methods = ["POST", "POST", "POST", "GET", "PUT", "DELETE", "OPTIONS", "PATCH"];
  const method = methods[r.int(0, methods.length - 1)] as string;
  const headers: Record<string, string> = { "content-type": r.chance(0.8) ? "application/json" : ["text/plain", "application/x-www-form-urlencoded", "\u00ff"][r.int(0, 2)] as string };
  if (r.chance(0.2)) headers.authorization = ["Bearer", "Bearer ", "Basic abc", `Bearer ${"t".repeat(r.int(1, 9000))}`][r.int(0, 3)] as string;
  if (r.chance(0.05)) headers["x-junk"] = "v".repeat(r.int(1, 20_000));
  const data = method === "GET" || method === "OPTIONS" ? undefined : body(r, path.includes("state") ? validState(r) : validPush(r));
  const what = `${method} ${path.slice(0, 60)} ${data === undefined ? "" : data.slice(0, 120)}`;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 10_000);
  try {
    const res = await fetch(opsUrl + path, { method, headers, ...(data === undefined ? {} : { body: data }), signal: controller.signal });
    if ((res.headers.get("content-type") ?? "").includes("text/event-stream")) {
      controller.abort(); // an SSE stream opened: that is an answer
      return { outcome: `http ${res.status} (event stream)`, ok: res.status === 200, what };
    }
    await res.arrayBuffer();
    return { outcome: `http ${res.status}`, ok: res.status < 500, what };
  } catch (error) {
    // The server may close a connection after a 413 before reading the whole body: that is a close, not a crash.
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    if (controller.signal.aborted) return { outcome: "http no answer (10 s)", ok: false, what };
    return { outcome: `http connection closed (${cause})`, ok: true, what };
  } finally {
    clearTimeout(timer);
  }
}

function rawCase(r: Random, opsUrl: string): Promise<{ outcome: Outcome; ok: boolean; what: string }> {
  const { hostname, port } = new URL(opsUrl);
  const heads = [
    "GARBAGE\r\n\r\n",
    "POST /sync/operations HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n{",
    "POST /sync/operations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
    "POST /sync/state HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n{\"a\"",
    `GET /${"%".repeat(100)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    "POST /sync/operations HTTP/1.1\r\n" + "X: y\r\n".repeat(3000) + "\r\n",
    "\u0000\u0001\u0002\r\n\r\n",
    "GET /sync/notify HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
  ];
  const text = heads[r.int(0, heads.length - 1)] as string;
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: hostname, port: Number(port) });
    let got = "";
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ outcome: got ? "raw partial answer" : "raw no answer (10 s)", ok: false, what: JSON.stringify(text.slice(0, 80)) });
    }, 10_000);
    socket.on("data", (chunk) => {
      got += chunk.toString("latin1");
      if (got.includes("\r\n")) {
        clearTimeout(timer);
        socket.destroy();
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(got)?.[1];
        resolve({ outcome: `raw http ${status ?? "?"}`, ok: status !== undefined && Number(status) < 500, what: JSON.stringify(text.slice(0, 80)) });
      }
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      if (!got.includes("\r\n")) resolve({ outcome: "raw closed", ok: true, what: JSON.stringify(text.slice(0, 80)) });
    });
    socket.write(text, "latin1");
    socket.end(); // half-close: a server waiting for the rest of a body sees it end
  });
}

function wsFrame(r: Random, authed: boolean): string | Buffer {
  const auth = { type: "auth", roomId: `room-${r.int(0, 3)}`, userId: `u${r.int(0, 3)}`, clientId: `fz-${r.int(0, 1e6)}`, since: r.int(0, 5), protocol: 1 };
  const id = `e${r.int(0, 20)}`;
  const change = {
    type: "change",
    messageId: `m-${r.int(0, 1e6)}`,
    timestamp: 1_700_000_000_000,
    userId: "u",
    payload: { operation: r.chance(0.8) ? "upsert" : "delete", entityType: "item", entityId: id, entity: { id, type: "item", v: r.int(0, 9), updatedAt: 1 }, vector: { [`fz`]: r.int(1, 5) }, stamp: { t: 1, r: "fz" } },
  };
  const legacy = { type: "sync-change", data: { type: "upsert", entityType: "item", entityId: id, entity: { id, type: "item" } } };
  const heartbeat = { type: "heartbeat", timestamp: 1 };
  const templates = authed ? [change, change, legacy, heartbeat, auth] : [auth, auth, change, heartbeat];
  const valid = templates[r.int(0, templates.length - 1)];
  switch (r.int(0, 11)) {
    case 0: return JSON.stringify(valid).slice(0, r.int(0, 40));
    case 1: return Buffer.from(Array.from({ length: r.int(1, 64) }, () => r.int(0, 255)));
    case 2: return "x".repeat(1_100_000);
    case 3: return JSON.stringify(weird(r)) ?? "null";
    case 4:
    case 5: return JSON.stringify(valid);
    default: return JSON.stringify(mutate(r, valid));
  }
}

/** Opens a WebSocket; resolves on open, or with the HTTP refusal / close. */
function openWs(url: string): Promise<WebSocket | { outcome: string; ok: boolean }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.terminate();
      resolve({ outcome: "ws open timed out", ok: false });
    }, 10_000);
    ws.once("open", () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.once("unexpected-response", (_req, res) => {
      clearTimeout(timer);
      ws.terminate();
      resolve({ outcome: `ws upgrade refused ${res.statusCode}`, ok: (res.statusCode ?? 500) < 500 });
    });
    ws.once("error", () => {
      clearTimeout(timer);
      resolve({ outcome: "ws upgrade failed", ok: true });
    });
  });
}

/** The first answer to `frame`: a message, or a close. `ping` makes a pong count (for a one-way channel). */
function answerOf(ws: WebSocket, frame: string | Buffer, ping: boolean): Promise<{ outcome: string; ok: boolean }> {
  return new Promise((resolve) => {
    const done = (result: { outcome: string; ok: boolean }) => {
      clearTimeout(timer);
      ws.removeAllListeners("message");
      resolve(result);
    };
    const timer = setTimeout(() => done({ outcome: "ws no answer (10 s)", ok: false }), 10_000);
    ws.on("message", (data) => {
      let type = "?";
      let code = "";
      try {
        const parsed = JSON.parse(String(data)) as { type?: string; code?: string };
        type = String(parsed.type);
        code = parsed.code ? ` ${parsed.code}` : "";
      } catch {
        type = "non-JSON";
      }
      done({ outcome: `ws ${type}${code}`, ok: type !== "non-JSON" });
    });
    ws.once("close", (code) => done({ outcome: `ws close ${code}`, ok: code !== 1011 && code !== 1006 }));
    ws.once("pong", () => done({ outcome: "ws ignored (connection alive: pong)", ok: true }));
    ws.send(frame, { binary: Buffer.isBuffer(frame) }, () => {
      if (ping && ws.readyState === ws.OPEN) ws.ping();
    });
  });
}

async function wsCase(r: Random, wsUrl: string): Promise<{ outcome: Outcome; ok: boolean; what: string }> {
  const opened = await openWs(wsUrl);
  if (!(opened instanceof WebSocket)) return { ...opened, what: "open" };
  const ws = opened;
  try {
    let authed = false;
    if (r.chance(0.5)) {
      const ready = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 10_000);
        ws.on("message", (data) => {
          if (String(data).includes('"type":"ready"')) {
            clearTimeout(timer);
            resolve(true);
          }
        });
        ws.once("close", () => resolve(false));
        ws.send(JSON.stringify({ type: "auth", roomId: `room-${r.int(0, 3)}`, userId: "u", clientId: `fz-${r.int(0, 1e9)}`, since: 0, protocol: 1 }));
      });
      ws.removeAllListeners("message");
      if (!ready) return { outcome: "ws auth failed", ok: false, what: "auth" };
      authed = true;
    }
    const frame = wsFrame(r, authed);
    const what = `sync-ws ${authed ? "after auth" : "first frame"}: ${Buffer.isBuffer(frame) ? `<${frame.length} binary bytes>` : frame.slice(0, 120)}`;
    // A change from a client that did not auth is answered by a close; one whose vector the server
    // already has may be acknowledged as stale/duplicate: every frame gets some answer.
    return { ...(await answerOf(ws, frame, false)), what };
  } finally {
    ws.terminate();
  }
}

async function notifyCase(r: Random, opsUrl: string): Promise<{ outcome: Outcome; ok: boolean; what: string }> {
  const base = opsUrl.replace(/^http/, "ws");
  const queries = ["?clientId=fz&userId=u", "", "?clientId=", `?clientId=${"c".repeat(4000)}`, "?token=%ZZ"];
  const opened = await openWs(`${base}/sync/notify${queries[r.int(0, queries.length - 1)]}`);
  if (!(opened instanceof WebSocket)) return { ...opened, what: "notify open" };
  try {
    const frame = wsFrame(r, r.chance(0.5));
    const what = `sync-ops notify: ${Buffer.isBuffer(frame) ? `<${frame.length} binary bytes>` : frame.slice(0, 120)}`;
    // The notification channel is one-way: a client frame is ignored; the connection must stay alive (pong) or close with a code.
    return { ...(await answerOf(opened, frame, true)), what };
  } finally {
    opened.terminate();
  }
}

/**
 * Sends `count` fuzzed messages (`concurrency` at a time) to the two servers.
 * @param seed the generator's seed: the same seed sends the same messages. @default 1
 */
export async function runWireFuzz(targets: FuzzTargets, options: { count: number; seed?: number; concurrency?: number; onProgress?: ((done: number) => void) | undefined }): Promise<FuzzReport> {
  const started = performance.now();
  const outcomes: Record<string, number> = {};
  const failures: string[] = [];
  const r = createRandom(options.seed ?? 1);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < options.count) {
      next++;
      const roll = r.int(0, 99);
      // One source of randomness per message keeps a seed's messages the same whatever the timing.
      const mine = createRandom(r.int(0, 0x7fffffff));
      const result =
        roll < 55 ? await httpCase(mine, targets.opsUrl)
        : roll < 60 ? await rawCase(mine, targets.opsUrl)
        : roll < 88 ? await wsCase(mine, targets.wsUrl)
        : await notifyCase(mine, targets.opsUrl);
      countInto(outcomes, result.outcome);
      if (!result.ok && failures.length < 50) failures.push(`${result.outcome}: ${result.what}`);
      done++;
      if (options.onProgress && done % 1000 === 0) options.onProgress(done);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  return { messages: done, outcomes, failures, wallMs: performance.now() - started };
}
