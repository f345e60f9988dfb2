import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { SyncError, SyncErrorCode, describeError } from "../errors";
import { createPGliteServerStorage } from "./pglite-server-storage";
import { Room } from "./room";
import { ServerConnection, type ConnectionHost } from "./server-connection";
import { resolveServerOptions, type ResolvedServerOptions, type WebSocketSyncServerOptions } from "./server-options";
import { createMemoryServerStorage, type SyncServerStorage } from "./server-storage";

/** A running sync server. */
export interface WebSocketSyncServer {
  /** `ws://host:port/path`, for `SyncConfig.wsUrl`. */
  readonly url: string;
  readonly port: number;
  /** The storage in use. */
  readonly storage: SyncServerStorage;
  /** Open connections (authenticated or not). */
  connectionCount(): number;
  /** Clients joined to `roomId`. */
  roomSize(roomId: string): number;
  /**
   * Stops accepting, closes every connection with 1001, waits for changes in
   * progress to be stored, then closes the storage it opened and its own HTTP
   * server. Calling it again returns the same promise.
   */
  close(): Promise<void>;
}

/** How long `close()` waits for clients to answer the close handshake before dropping them, ms. */
const CLOSE_GRACE_MS = 1_000;

/**
 * Starts the sync server: WebSocket on `path`, rooms isolated from each
 * other, changes stored (PGlite on `dataDir`, else memory), acknowledged,
 * and relayed to the room's other clients. See the README for the protocol.
 *
 * @example
 * const server = await createWebSocketSyncServer({ port: 0, authenticate: ({ token }) => token === "secret" });
 * const engine = new NetworkSyncEngine({ wsUrl: server.url, roomId: "team", userId: "ada", authToken: "secret" });
 * await server.close();
 */
export async function createWebSocketSyncServer(options: WebSocketSyncServerOptions = {}): Promise<WebSocketSyncServer> {
  const resolved = resolveServerOptions(options);
  const ownsStorage = resolved.storage === undefined;
  const storage = resolved.storage ?? (resolved.dataDir !== undefined ? createPGliteServerStorage(resolved.dataDir) : createMemoryServerStorage());
  await storage.open();
  try {
    return await start(resolved, storage, ownsStorage);
  } catch (error) {
    if (ownsStorage) await storage.close().catch(() => {});
    throw error;
  }
}

async function start(options: ResolvedServerOptions, storage: SyncServerStorage, ownsStorage: boolean): Promise<WebSocketSyncServer> {
  const http: Server = options.server ?? createServer((_req, res) => {
    res.writeHead(426, { "content-type": "text/plain" }).end(`Kalphite sync: open a WebSocket on ${options.path}\n`);
  });
  const ownsHttp = options.server === undefined;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes });
  const rooms = new Map<string, Promise<Room>>();
  const connections = new Set<ServerConnection>();
  let closing: Promise<void> | undefined;

  const host: ConnectionHost = {
    options,
    timers: options.timers,
    get closing() {
      return closing !== undefined;
    },
    room(roomId) {
      let room = rooms.get(roomId);
      if (room === undefined) {
        room = storage.loadRoom(roomId).then((snapshot) => new Room(roomId, snapshot, { storage, strategy: options.strategy, now: () => options.timers.now(), onError: options.onError }));
        room.catch(() => rooms.delete(roomId));
        rooms.set(roomId, room);
      }
      return room;
    },
    forget(connection) {
      connections.delete(connection);
    },
  };

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = new URL(request.url ?? "/", "ws://localhost").pathname;
    if (pathname !== options.path) {
      // On a server of our own nobody else will take it; on a shared one another handler may.
      if (ownsHttp) socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
      return;
    }
    if (closing !== undefined) {
      socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n");
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      try {
        connections.add(new ServerConnection(ws, request, host));
      } catch (error) {
        options.onError(error);
        ws.terminate();
      }
    });
  };
  http.on("upgrade", onUpgrade);
  wss.on("error", (error) => options.onError(error));

  if (!http.listening) {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(new SyncError(SyncErrorCode.InvalidConfig, `createWebSocketSyncServer: cannot listen on ${options.host}:${options.port}: ${describeError(error)}`, { cause: error }));
      http.once("error", onError);
      http.listen(options.port, options.host, () => {
        http.off("error", onError);
        resolve();
      });
    });
  }
  const address = http.address() as AddressInfo;
  const urlHost = ownsHttp || options.server?.listening ? displayHost(address.address, options.host) : options.host;
  const url = `ws://${urlHost}:${address.port}${options.path}`;

  const close = async (): Promise<void> => {
    const connectionsNow = [...connections];
    for (const connection of connectionsNow) connection.shutdown();
    const all = Promise.all(connectionsNow.map((c) => c.closed()));
    let timer: unknown;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_GRACE_MS);
    });
    await Promise.race([all, grace]);
    clearTimeout(timer as ReturnType<typeof setTimeout>);
    for (const connection of connectionsNow) connection.terminate();
    for (const room of rooms.values()) await (await room.catch(() => undefined))?.idle();
    http.off("upgrade", onUpgrade);
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    if (ownsHttp) {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    }
    if (ownsStorage) await storage.close();
  };

  return {
    url,
    port: address.port,
    storage,
    connectionCount: () => connections.size,
    roomSize(roomId) {
      let n = 0;
      for (const c of connections) if (c.roomId === roomId) n++;
      return n;
    },
    close() {
      closing ??= close();
      return closing;
    },
  };
}

function displayHost(address: string, requested: string): string {
  if (address === "::" || address === "0.0.0.0") return requested === "::" || requested === "0.0.0.0" ? "127.0.0.1" : requested;
  return address.includes(":") ? `[${address}]` : address;
}
