import { onTestFinished } from "vitest";
import { NetworkSyncEngine } from "./network-sync-engine";
import { createWebSocketSyncServer, type WebSocketSyncServer } from "./server/create-server";
import type { WebSocketSyncServerOptions } from "./server/server-options";
import type { SyncConfig } from "./types";

/** Starts a server on 127.0.0.1, port 0, closed when the test ends (pass or fail). */
export async function startServer(options: WebSocketSyncServerOptions = {}): Promise<WebSocketSyncServer> {
  const server = await createWebSocketSyncServer({ port: 0, host: "127.0.0.1", ...options });
  onTestFinished(() => server.close());
  return server;
}

/** An engine for `server`'s room, disconnected when the test ends. */
export function makeEngine(server: { url: string }, config: Partial<SyncConfig> & { userId?: string } = {}): NetworkSyncEngine {
  const engine = new NetworkSyncEngine({ wsUrl: server.url, roomId: "room", userId: config.userId ?? "user", ...config });
  onTestFinished(() => engine.disconnect());
  return engine;
}

/**
 * Resolves when `predicate()` holds, checking after each turn of the event
 * loop (real sockets need real I/O turns); fails after `limitMs` of the
 * monotonic clock (`performance.now`, which the fake timers here leave alone).
 */
export async function eventually(predicate: () => boolean, what = "condition", limitMs = 15_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`eventually: ${what} did not hold within ${limitMs} ms`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** A todo entity. */
export function todo(id: string, fields: Record<string, unknown> = {}, updatedAt = 1_000): { id: string; type: "todo"; updatedAt: number; [k: string]: unknown } {
  return { id, type: "todo", title: `todo ${id}`, done: false, updatedAt, ...fields };
}

/**
 * A scripted WebSocket for the faults a real one cannot be made to show on
 * demand (a peer that goes silent, a handshake that never completes). Every
 * instance lands in `FakeWebSocket.sockets`; the test plays the server.
 */
export class FakeWebSocket {
  static sockets: FakeWebSocket[] = [];
  /** When true, an `auth` frame is answered with `ready` at once. */
  static autoReady = true;
  /** When true, every heartbeat is answered. */
  static answerHeartbeats = true;
  static reset(): void {
    FakeWebSocket.sockets = [];
    FakeWebSocket.autoReady = true;
    FakeWebSocket.answerHeartbeats = true;
  }

  readonly url: string;
  readyState = 0;
  readonly sent: Record<string, unknown>[] = [];
  terminated = false;
  closedWith: number | undefined;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(url: string) {
    this.url = url;
    FakeWebSocket.sockets.push(this);
  }

  /** The server accepts the TCP/upgrade: `open`. */
  accept(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  /** The server closes (or the network drops) the connection. */
  drop(code = 1006, reason = ""): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  /** A frame from the server. */
  receive(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  send(data: string): void {
    const frame = JSON.parse(data) as Record<string, unknown>;
    this.sent.push(frame);
    if (frame.type === "auth" && FakeWebSocket.autoReady) {
      this.receive({ type: "ready", roomId: frame.roomId, clientId: frame.clientId, seq: 0, epoch: "e1", maxPayloadBytes: 1_048_576, heartbeatInterval: 1000, timestamp: 0 });
    }
    if (frame.type === "heartbeat" && FakeWebSocket.answerHeartbeats) this.receive({ type: "heartbeat", timestamp: 0 });
  }

  close(code?: number): void {
    this.closedWith = code;
    this.readyState = 3;
  }

  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }

  /** Frames of one type this socket sent. */
  sentOf(type: string): Record<string, unknown>[] {
    return this.sent.filter((f) => f.type === type);
  }
}
