import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SyncOpsError } from "../errors";
import type { HttpClient, PendingOperation, RequestOptions, StatePatch } from "../types";
import type { ModernSyncEngineConfig } from "./config";
import { HttpRequestError } from "./fetch-http-client";
import { ModernSyncEngine } from "./modern-sync-engine";
import { createMemoryOperationStorage } from "./operation-storage";
import type { WebSocketLike } from "./notification-channel";

type Handler = (url: string, body: any, options: RequestOptions | undefined) => unknown | Promise<unknown>;

/** An HttpClient whose answers the test scripts; it records every call with the time it was made. */
class ScriptedHttp implements HttpClient {
  readonly calls: { url: string; body: any; headers: Record<string, string> | undefined; at: number }[] = [];
  lastIds = 0;
  version = 1;
  push: Handler = (_url, body) => {
    const ops = body.operations as PendingOperation[];
    this.lastIds = Math.max(this.lastIds, ...ops.map((o) => o.id));
    return { confirmations: ops.map((o) => ({ operationId: o.id, clientId: o.clientId, success: true, serverTimestamp: 1 })) };
  };
  pull: Handler = (_url, body) => ({ stateVersion: String(this.version), entities: [], lastOperationIds: { [body.clientId]: this.lastIds }, syncTimestamp: 1 });
  async post<TReq, TRes>(url: string, data: TReq, options?: RequestOptions): Promise<TRes> {
    this.calls.push({ url, body: structuredClone(data), headers: options?.headers, at: Date.now() });
    const handler = url.endsWith("/sync/operations") ? this.push : this.pull;
    return (await handler(url, data, options)) as TRes;
  }
  async get<TRes>(): Promise<TRes> {
    throw new Error("not used");
  }
  pushes() {
    return this.calls.filter((c) => c.url.endsWith("/sync/operations"));
  }
  pulls() {
    return this.calls.filter((c) => c.url.endsWith("/sync/state"));
  }
}

const networkError = () => new HttpRequestError("POST: connect ECONNREFUSED", {});
const status = (code: number, serverCode: string, message: string) => new HttpRequestError(`POST: ${code} ${serverCode}: ${message}`, { status: code, serverCode });

/** A WebSocket the test drives: `sockets` holds every one made, with the headers it got. */
class FakeSocket implements WebSocketLike {
  static sockets: FakeSocket[] = [];
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: unknown) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  closed = false;
  constructor(
    readonly url: string,
    readonly options?: { headers?: Record<string, string> },
  ) {
    FakeSocket.sockets.push(this);
    queueMicrotask(() => this.onopen?.({}));
  }
  close() {
    this.closed = true;
  }
  notify(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

let http: ScriptedHttp;
const engines: ModernSyncEngine[] = [];
const make = (config: Partial<ModernSyncEngineConfig> = {}) => {
  const e = new ModernSyncEngine({ baseUrl: "http://sync.test", clientId: "c1", userId: "u1", httpClient: http, random: () => 0.5, pullInterval: 0, ...config });
  e.on("error", () => undefined);
  engines.push(e);
  return e;
};

beforeEach(() => {
  vi.useFakeTimers();
  http = new ScriptedHttp();
  FakeSocket.sockets = [];
});
afterEach(async () => {
  for (const e of engines.splice(0)) await e.disconnect();
  vi.useRealTimers();
});

describe("pushing", () => {
  it("pushes in batches of batchSize, in id order", async () => {
    const e = make({ batchSize: 3 });
    await Promise.all(Array.from({ length: 7 }, (_, i) => e.executeOperation("op", [i])));
    await e.flush();
    expect(http.pushes().map((c) => c.body.operations.map((o: PendingOperation) => o.id))).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it("retries network errors and 5xx with exponential backoff and jitter, then succeeds", async () => {
    const e = make({ retryDelay: 100, maxRetryDelay: 10_000 });
    const answers = [networkError(), status(503, "STORAGE_FAILED", "busy"), networkError()];
    const ok = http.push;
    http.push = (url, body, o) => {
      const next = answers.shift();
      if (next) throw next;
      return ok(url, body, o);
    };
    const confirmed: number[] = [];
    e.onOperationConfirmed((op) => confirmed.push(op.id));
    const start = Date.now();
    await e.connect();
    await e.executeOperation("op", []);
    expect(http.pushes()).toHaveLength(1);
    // random() = 0.5: delay = base·2^n/2 + base·2^n/4 → 75, 150, 300 ms
    await vi.advanceTimersByTimeAsync(74);
    expect(http.pushes()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(http.pushes()).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(150);
    expect(http.pushes()).toHaveLength(3);
    expect(e.getConnectionStatus()).toBe("connecting");
    await vi.advanceTimersByTimeAsync(300);
    expect(http.pushes().map((c) => c.at - start)).toEqual([0, 75, 225, 525]);
    expect(confirmed).toEqual([1]);
    expect(e.getConnectionStatus()).toBe("connected");
  });

  it("treats a 400 for a single operation as its final refusal and gives its id to the next", async () => {
    const e = make();
    const failed: { operation: PendingOperation; error: string }[] = [];
    e.onOperationFailed((f) => failed.push(f));
    const ok = http.push;
    http.push = (url, body, o) => {
      if (body.operations.some((op: PendingOperation) => op.name === "poison")) throw status(400, "BAD_REQUEST", "operations.0.args: bad");
      return ok(url, body, o);
    };
    await e.executeOperation("fine", []);
    await e.executeOperation("poison", []);
    await e.executeOperation("after", []);
    await e.flush();
    expect(failed.map((f) => [f.operation.id, f.operation.name])).toEqual([[2, "poison"]]);
    expect(failed[0]?.error).toMatch(/400 BAD_REQUEST/);
    const sent = http.pushes().map((c) => c.body.operations.map((o: PendingOperation) => `${o.id}:${o.name}`));
    expect(sent).toEqual([["1:fine", "2:poison", "3:after"], ["1:fine"], ["2:poison"], ["2:after"]]);
  });

  it("halves the batch on 413", async () => {
    const e = make({ batchSize: 8 });
    const ok = http.push;
    http.push = (url, body, o) => {
      if (body.operations.length > 2) throw status(413, "PAYLOAD_TOO_LARGE", "too big");
      return ok(url, body, o);
    };
    await Promise.all(Array.from({ length: 5 }, () => e.executeOperation("op", [])));
    await e.flush();
    expect(http.pushes().map((c) => c.body.operations.length)).toEqual([5, 2, 2, 1]);
  });

  it("resends from the gap the server reports", async () => {
    const e = make();
    let first = true;
    const ok = http.push;
    http.push = (url, body, o) => {
      if (first) {
        first = false; // the server lost our operations 1..2 (it expects 1 but the client had been told 2 was applied)
        return { confirmations: [], gaps: [{ clientId: "c1", expectedOperationId: 1, receivedOperationId: 3 }] };
      }
      return ok(url, body, o);
    };
    http.lastIds = 2;
    // Storage is behind the server: the pull renumbers our operation to 3; then the server says it expects 1.
    await e.executeOperation("op", []);
    await e.flush();
    expect(http.pushes().map((c) => c.body.operations.map((o: PendingOperation) => o.id))).toEqual([[3], [1]]);
  });

  it("sends Authorization: Bearer on every request and on the notification socket", async () => {
    const e = make({ authToken: "tok", notificationUrl: "ws://sync.test/sync/notify", WebSocket: FakeSocket });
    await e.connect();
    await e.executeOperation("op", []);
    await e.flush();
    expect(http.calls.length).toBeGreaterThanOrEqual(2);
    expect(http.calls.every((c) => c.headers?.authorization === "Bearer tok")).toBe(true);
    expect(FakeSocket.sockets[0]?.options?.headers?.authorization).toBe("Bearer tok");
    expect(FakeSocket.sockets[0]?.url).toMatch(/clientId=c1/);
    e.setAuthToken("tok2");
    await e.syncState();
    expect(http.calls.at(-1)?.headers?.authorization).toBe("Bearer tok2");
  });

  it("retries an answer that does not match the protocol and reports it", async () => {
    const e = make({ retryDelay: 100 });
    const errors: unknown[] = [];
    e.on("error", (err) => errors.push(err));
    let bad = true;
    const ok = http.push;
    http.push = (url, body, o) => {
      if (bad) {
        bad = false;
        return { nope: true };
      }
      return ok(url, body, o);
    };
    await e.connect();
    await e.executeOperation("op", []);
    expect(errors[0]).toMatchObject({ code: "PROTOCOL_ERROR" });
    await vi.advanceTimersByTimeAsync(1000);
    expect(e.getPendingOperations()).toEqual([]);
  });
});

describe("pulling", () => {
  it("only moves forward: an older answer is dropped", async () => {
    const e = make();
    const patches: StatePatch[] = [];
    e.onStatePatch((p) => patches.push(p));
    http.version = 5;
    http.pull = () => ({ stateVersion: "5", entities: [{ id: "a", type: "todo" }], lastOperationIds: {}, syncTimestamp: 1 });
    await e.syncState();
    expect(e.getCurrentStateVersion()).toBe("5");
    http.pull = () => ({ stateVersion: "4", entities: [{ id: "stale", type: "todo" }], lastOperationIds: {}, syncTimestamp: 2 });
    await e.syncState();
    expect(e.getCurrentStateVersion()).toBe("5");
    expect(patches.map((p) => p.entities.map((x) => x.id))).toEqual([["a"]]);
    expect(http.pulls().at(-1)?.body.stateVersion).toBe("5");
  });

  it("applies a reset: the full state replaces what it lacks", async () => {
    const e = make();
    const patches: StatePatch[] = [];
    e.onStatePatch((p) => patches.push(p));
    http.pull = () => ({ stateVersion: "3", entities: [{ id: "a", type: "todo" }, { id: "b", type: "note" }], lastOperationIds: {}, reset: true, syncTimestamp: 1 });
    await e.syncState();
    http.pull = () => ({ stateVersion: "9", entities: [{ id: "a", type: "todo" }], lastOperationIds: {}, reset: true, syncTimestamp: 2 });
    await e.syncState();
    expect(patches[1]).toMatchObject({ reset: true, stateVersion: "9", deleted: [{ entityType: "note", entityId: "b" }], deletedEntityIds: ["b"] });
  });

  it("emits typed deletions as remoteChange events", async () => {
    const e = make();
    const changes: any[] = [];
    e.on("remoteChange", (c) => changes.push(c));
    http.pull = () => ({ stateVersion: "2", entities: [{ id: "x", type: "todo", t: 1 }], deleted: [{ entityType: "note", entityId: "n" }], deletedEntityIds: ["n"], syncTimestamp: 7 });
    await e.syncState();
    expect(changes).toMatchObject([
      { type: "upsert", entityType: "todo", entityId: "x", entity: { id: "x", type: "todo", t: 1 } },
      { type: "delete", entityType: "note", entityId: "n" },
    ]);
  });

  it("confirms pending operations from lastOperationIds, and reports the recorded refusals", async () => {
    const e = make();
    const confirmed: number[] = [];
    const failed: number[] = [];
    e.onOperationConfirmed((op) => confirmed.push(op.id));
    e.onOperationFailed((f) => failed.push(f.operation.id));
    await e.executeOperation("a", []);
    await e.executeOperation("b", []);
    await e.executeOperation("c", []);
    http.pull = (_u, body) => {
      expect(body).toMatchObject({ clientId: "c1", confirmedOperationId: 0 });
      return { stateVersion: "4", entities: [], lastOperationIds: { c1: 2 }, failedOperations: [{ operationId: 2, error: "no" }], syncTimestamp: 1 };
    };
    await e.syncState();
    expect(confirmed).toEqual([1]);
    expect(failed).toEqual([2]);
    expect(e.getPendingOperations().map((op) => op.id)).toEqual([3]);
  });

  it("coalesces notifications: state_changed during a pull leads to one more pull", async () => {
    const e = make({ notificationUrl: "ws://sync.test/sync/notify", WebSocket: FakeSocket });
    await e.connect();
    expect(http.pulls()).toHaveLength(1);
    let release!: () => void;
    http.pull = (_u, body) => new Promise((resolve) => (release = () => resolve({ stateVersion: String(++http.version), entities: [], lastOperationIds: { [body.clientId]: 0 }, syncTimestamp: 1 })));
    const socket = FakeSocket.sockets[0] as FakeSocket;
    const changed = (v: number) => socket.notify({ type: "state_changed", payload: { stateVersion: String(v), affectedEntityTypes: ["todo"] }, timestamp: 1 });
    changed(10);
    changed(11);
    changed(12);
    changed(13);
    await vi.advanceTimersByTimeAsync(0);
    expect(http.pulls()).toHaveLength(2);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(http.pulls()).toHaveLength(3);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(http.pulls()).toHaveLength(3);
    // A notification for a version already applied pulls nothing.
    socket.notify({ type: "state_changed", payload: { stateVersion: "1", affectedEntityTypes: [] }, timestamp: 1 });
    socket.notify({ type: "not-a-notification" });
    socket.onmessage?.({ data: "{broken" });
    expect(http.pulls()).toHaveLength(3);
  });

  it("confirms through operation_confirmed notifications", async () => {
    const e = make({ notificationUrl: "ws://sync.test/sync/notify", WebSocket: FakeSocket });
    http.push = () => new Promise(() => undefined); // the push answer never comes
    await e.connect();
    const confirmed: number[] = [];
    e.onOperationConfirmed((op) => confirmed.push(op.id));
    void e.executeOperation("op", []);
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.sockets[0]?.notify({ type: "operation_confirmed", payload: { operationId: 1, clientId: "c1", success: true, serverTimestamp: 5 }, timestamp: 5 });
    expect(confirmed).toEqual([1]);
    expect(e.getPendingOperations()).toEqual([]);
  });

  it("does not back off when a notification confirmed the batch before the push answer came", async () => {
    const e = make({ notificationUrl: "ws://sync.test/sync/notify", WebSocket: FakeSocket });
    const errors: unknown[] = [];
    e.on("error", (err) => errors.push(err));
    await e.connect();
    const ok = http.push;
    http.push = (url, body, o) => {
      for (const op of body.operations) FakeSocket.sockets[0]?.notify({ type: "operation_confirmed", payload: { operationId: op.id, clientId: "c1", success: true, serverTimestamp: 1 }, timestamp: 1 });
      return ok(url, body, o);
    };
    await e.executeOperation("first", []);
    await e.executeOperation("second", []);
    expect(http.pushes()).toHaveLength(2);
    expect(errors).toEqual([]);
    expect(e.getPendingOperations()).toEqual([]);
  });

  it("pulls every pullInterval while connected, and stops after disconnect", async () => {
    const e = make({ pullInterval: 1000 });
    await e.connect();
    expect(http.pulls()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(3000);
    expect(http.pulls()).toHaveLength(4);
    await e.disconnect();
    await vi.advanceTimersByTimeAsync(5000);
    expect(http.pulls()).toHaveLength(4);
    expect(e.getConnectionStatus()).toBe("disconnected");
  });

  it("reconnects the notification socket with backoff and pulls once it is back", async () => {
    const e = make({ notificationUrl: "ws://sync.test/sync/notify", WebSocket: FakeSocket, retryDelay: 100 });
    await e.connect();
    expect(FakeSocket.sockets).toHaveLength(1);
    const pullsBefore = http.pulls().length;
    FakeSocket.sockets[0]?.onclose?.({});
    await vi.advanceTimersByTimeAsync(74);
    expect(FakeSocket.sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.sockets).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(http.pulls().length).toBe(pullsBefore + 1);
  });

  it("rejects waiting flush() calls on disconnect with CLOSED, and use after close()", async () => {
    const e = make();
    http.push = () => {
      throw networkError();
    };
    await e.executeOperation("op", []);
    const flushed = e.flush();
    const caught = flushed.catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(0);
    await e.disconnect();
    expect(await caught).toBeInstanceOf(SyncOpsError);
    await e.close();
    await expect(e.executeOperation("x", [])).rejects.toMatchObject({ code: "CLOSED" });
  });
});

describe("connect and disconnect", () => {
  it("a disconnect() while connect() still loads storage wins: the engine stays disconnected", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const storage = createMemoryOperationStorage();
    const load = storage.load.bind(storage);
    storage.load = async (clientId) => {
      await gate;
      return load(clientId);
    };
    const e = make({ storage });
    const connecting = e.connect();
    const disconnecting = e.disconnect();
    release();
    await Promise.all([connecting, disconnecting]);
    await vi.advanceTimersByTimeAsync(0);
    expect(e.getConnectionStatus()).toBe("disconnected");
    expect(http.calls.length).toBe(0);
  });
});
