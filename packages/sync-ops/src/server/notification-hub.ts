import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { NotificationMessage, OperationConfirmation } from "../types";

/** One listener of notifications: a WebSocket or an SSE response. */
interface Connection {
  readonly clientId: string | undefined;
  readonly userId: string | undefined;
  send(text: string): void;
  ping(): void;
  close(): void;
}

/**
 * The notification side of the server: WebSocket (`/sync/notify`) and SSE
 * (`/sync/events`) listeners, presence per client id, and the frames
 * (`state_changed`, `operation_confirmed`, `client_connected`,
 * `client_disconnected`). Frames never carry entity data.
 */
export class NotificationHub {
  readonly #connections = new Set<Connection>();
  readonly #byClient = new Map<string, Set<Connection>>();
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  readonly #now: () => number;
  readonly #heartbeat: ReturnType<typeof setInterval>;

  constructor(options: { now: () => number; heartbeatIntervalMs: number }) {
    this.#now = options.now;
    this.#wss.on("error", () => undefined);
    this.#heartbeat = setInterval(() => {
      for (const connection of this.#connections) connection.ping();
    }, options.heartbeatIntervalMs);
    this.#heartbeat.unref?.();
  }

  /** How many notification connections are open. */
  get size(): number {
    return this.#connections.size;
  }

  /** Takes over an HTTP upgrade already authenticated. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    this.#wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      let alive = true;
      ws.on("pong", () => {
        alive = true;
      });
      const connection: Connection = {
        clientId: url.searchParams.get("clientId") ?? undefined,
        userId: url.searchParams.get("userId") ?? undefined,
        send: (text) => {
          if (ws.readyState === ws.OPEN) ws.send(text);
        },
        ping: () => {
          if (!alive) {
            ws.terminate();
            return;
          }
          alive = false;
          if (ws.readyState === ws.OPEN) ws.ping();
        },
        close: () => ws.close(1001, "server closing"),
      };
      // Clients have nothing to say on this channel; their frames are ignored.
      ws.on("message", () => undefined);
      ws.on("error", () => ws.terminate());
      ws.on("close", () => this.#remove(connection));
      this.#add(connection);
    });
  }

  /** Serves `GET /sync/events` as a Server-Sent Events stream. */
  openEventStream(req: IncomingMessage, res: ServerResponse, url: URL): void {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write("retry: 1000\n: connected\n\n");
    const connection: Connection = {
      clientId: url.searchParams.get("clientId") ?? undefined,
      userId: url.searchParams.get("userId") ?? undefined,
      send: (text) => {
        if (!res.destroyed) res.write(`data: ${text}\n\n`);
      },
      ping: () => {
        if (!res.destroyed) res.write(": ping\n\n");
      },
      close: () => res.end(),
    };
    const done = () => this.#remove(connection);
    req.on("close", done);
    res.on("error", done);
    this.#add(connection);
  }

  #add(connection: Connection): void {
    // The newcomer hears who is already here, as client_connected frames.
    for (const [present, set] of this.#byClient) {
      if (present === connection.clientId) continue;
      const first = set.values().next().value as Connection;
      connection.send(JSON.stringify(this.#presence("client_connected", first)));
    }
    this.#connections.add(connection);
    const { clientId } = connection;
    if (clientId === undefined) return;
    let set = this.#byClient.get(clientId);
    if (!set) this.#byClient.set(clientId, (set = new Set()));
    set.add(connection);
    if (set.size === 1) this.#broadcast(this.#presence("client_connected", connection), connection);
  }

  #remove(connection: Connection): void {
    if (!this.#connections.delete(connection)) return;
    const { clientId } = connection;
    if (clientId === undefined) return;
    const set = this.#byClient.get(clientId);
    set?.delete(connection);
    if (set && set.size === 0) {
      this.#byClient.delete(clientId);
      this.#broadcast(this.#presence("client_disconnected", connection));
    }
  }

  #presence(type: "client_connected" | "client_disconnected", connection: Connection): NotificationMessage {
    const payload: { clientId: string; userId?: string } = { clientId: connection.clientId as string };
    if (connection.userId !== undefined) payload.userId = connection.userId;
    return { type, payload, timestamp: this.#now() };
  }

  #broadcast(message: NotificationMessage, except?: Connection): void {
    const text = JSON.stringify(message);
    for (const connection of this.#connections) if (connection !== except) connection.send(text);
  }

  /** Tells everyone the state moved to `stateVersion`. */
  stateChanged(stateVersion: number, affectedEntityTypes: readonly string[], clientIds: readonly string[]): void {
    const payload: { stateVersion: string; affectedEntityTypes: string[]; triggerClientId?: string } = {
      stateVersion: String(stateVersion),
      affectedEntityTypes: [...affectedEntityTypes],
    };
    if (clientIds.length === 1) payload.triggerClientId = clientIds[0] as string;
    this.#broadcast({ type: "state_changed", payload, timestamp: this.#now() });
  }

  /** Sends each confirmation to the connections of the client it belongs to. */
  operationsConfirmed(confirmations: readonly OperationConfirmation[]): void {
    for (const confirmation of confirmations) {
      const set = this.#byClient.get(confirmation.clientId);
      if (!set) continue;
      const text = JSON.stringify({ type: "operation_confirmed", payload: confirmation, timestamp: this.#now() });
      for (const connection of set) connection.send(text);
    }
  }

  /** Closes every connection and stops the heartbeat. */
  close(): void {
    clearInterval(this.#heartbeat);
    for (const connection of [...this.#connections]) {
      try {
        connection.close();
      } catch {
        // already gone
      }
    }
    this.#connections.clear();
    this.#byClient.clear();
    this.#wss.close();
  }
}
