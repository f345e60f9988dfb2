import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { createWebSocketSyncServer, type WebSocketSyncServer } from "@kalphite/sync-ws";
import { todoEntitySchemas, todoMutators } from "@kalphite/todo-model";
import { ServerError, ServerErrorCode, messageOf } from "./errors";
import type { Logger } from "./log";
import { OperationRooms, RoomLimitError } from "./operation-rooms";
import { createPGliteRoomStorage, createPostgresRoomStorage, type RoomStorageFactory } from "./room-storage";
import { createAccessControl, type Grant } from "./tokens";

/** What `startSyncServer` needs (the CLI's flags, parsed). */
export interface SyncServerConfig {
  /** 0 picks a free one. @default 0 */
  readonly port?: number;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** PGlite data directory (`<dir>/operations`, `<dir>/entities`); `undefined`: in memory. */
  readonly dataDir?: string | undefined;
  /** PostgreSQL URL for the operation storage (several instances may share it). */
  readonly postgres?: string | undefined;
  /** A token valid for every room and user. */
  readonly token?: string | undefined;
  /** Grants from a tokens file. */
  readonly grants?: ReadonlyMap<string, Grant>;
  /** PostgreSQL connections per room. @default 4 */
  readonly poolSize?: number;
  /** Missed-NOTIFY check per room on PostgreSQL, ms; 0 turns it off. @default 5000 */
  readonly resyncIntervalMs?: number;
  /** Most operation rooms open at once. @default 100 */
  readonly maxRooms?: number;
  readonly log: Logger;
}

/** A running `kalphite-server`. */
export interface RunningSyncServer {
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  /** `"pglite"`, `"memory"` or `"postgres"`: where operations are stored. */
  readonly storageKind: string;
  /** Stops accepting, lets pushes in flight finish, closes every connection with a reason, closes the storage. */
  close(reason?: string): Promise<void>;
}

/** The default room of the unprefixed paths (`/sync/operations`, …). */
export const DEFAULT_ROOM = "default";

const OPERATION_PATHS = new Set(["/sync/operations", "/sync/state", "/sync/notify", "/sync/events"]);
const ROOM_PATH = /^\/rooms\/([^/]+)(\/sync\/[a-z]+)$/;

/** The room and the room-relative path of a request path, or `undefined` when it is not an operation endpoint. */
export function routeOf(pathname: string): { room: string; path: string } | { error: string } | undefined {
  if (OPERATION_PATHS.has(pathname)) return { room: DEFAULT_ROOM, path: pathname };
  const match = ROOM_PATH.exec(pathname);
  if (!match || !OPERATION_PATHS.has(match[2]!)) return undefined;
  let room: string;
  try {
    room = decodeURIComponent(match[1]!);
  } catch {
    return { error: "the room name in the path is not valid percent-encoding" };
  }
  if (room.length === 0 || room.length > 512) return { error: "a room name has 1 to 512 characters" };
  return { room, path: match[2]! };
}

function bearer(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === "string") return /^Bearer\s+(.+)$/i.exec(header.trim())?.[1];
  return url.searchParams.get("token") ?? undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), "access-control-allow-origin": "*", ...headers });
  res.end(text);
}

const refuseUpgrade = (socket: Duplex, status: string) => {
  if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  else socket.destroy();
};

/**
 * Starts the server: one `http.Server`, both protocols — WebSocket entity
 * sync (`/sync/ws`, @kalphite/sync-ws) and operations (`/sync/operations`,
 * `/sync/state`, `/sync/notify`, `/sync/events`, @kalphite/sync-ops, with the
 * todo app's mutators), `/rooms/<room>/sync/…` for rooms other than
 * `default`, and `GET /health`.
 */
export async function startSyncServer(config: SyncServerConfig): Promise<RunningSyncServer> {
  const log = config.log;
  const access = createAccessControl(config.token, config.grants);
  const started = Date.now();
  if (config.dataDir !== undefined) {
    try {
      mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new ServerError(ServerErrorCode.StorageFailed, `cannot create the data directory ${config.dataDir}: ${messageOf(error)}`, { cause: error });
    }
  }
  let storage: RoomStorageFactory;
  if (config.postgres !== undefined) {
    storage = await createPostgresRoomStorage({ url: config.postgres, poolSize: config.poolSize ?? 4, resyncIntervalMs: config.resyncIntervalMs ?? 5000, log });
  } else {
    storage = await createPGliteRoomStorage(config.dataDir === undefined ? undefined : join(config.dataDir, "operations"));
  }

  let closing: Promise<void> | undefined;
  const http: Server = createServer();
  const rooms = new OperationRooms({
    storage,
    access,
    mutators: todoMutators,
    schema: todoEntitySchemas,
    log,
    address: () => http.address(),
    maxRooms: config.maxRooms ?? 100,
  });

  const health = async (res: ServerResponse) => {
    sendJson(res, closing ? 503 : 200, {
      status: closing ? "shutting-down" : "ok",
      uptime: Math.round((Date.now() - started) / 1000),
      storage: storage.kind,
      rooms: rooms.size,
      connections: { entities: entities?.connectionCount() ?? 0, notifications: await rooms.connectionCount() },
      auth: access.enabled,
    });
  };

  http.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const began = Date.now();
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://localhost");
    } catch {
      return sendJson(res, 400, { error: { code: "BAD_REQUEST", message: "unparsable request URL" } });
    }
    const route = routeOf(url.pathname);
    let room: string | undefined;
    res.on("finish", () => {
      if (url.pathname !== "/health") log.info("http", { method: req.method, path: url.pathname, room, status: res.statusCode, ms: Date.now() - began });
    });
    if (url.pathname === "/health") {
      if (req.method !== "GET" && req.method !== "HEAD") return sendJson(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: "/health takes GET" } });
      void health(res);
      return;
    }
    if (url.pathname === "/sync/ws") return sendJson(res, 426, { error: { code: "UPGRADE_REQUIRED", message: "/sync/ws is a WebSocket endpoint" } });
    if (route === undefined) return sendJson(res, 404, { error: { code: "NOT_FOUND", message: `no endpoint ${url.pathname}` } });
    if ("error" in route) return sendJson(res, 400, { error: { code: "BAD_REQUEST", message: route.error } });
    room = route.room;
    if (closing) return sendJson(res, 503, { error: { code: "SHUTTING_DOWN", message: "the server is closing" } });
    if (req.method !== "OPTIONS" && access.enabled) {
      const verdict = access.check(bearer(req, url), route.room);
      if (!verdict.ok) {
        log.warn("refused", { protocol: "operations", room: route.room, path: route.path, reason: verdict.reason });
        return sendJson(res, 401, { error: { code: "UNAUTHORIZED", message: "invalid or missing bearer token for this room" } }, { "www-authenticate": 'Bearer realm="kalphite"' });
      }
    }
    req.url = route.path + url.search;
    rooms.request(route.room, req, res).catch((error: unknown) => {
      if (error instanceof RoomLimitError) {
        log.warn("room-limit", { room: route.room });
        return sendJson(res, 503, { error: { code: error.code, message: error.message } });
      }
      log.error("room-failed", { room: route.room, error: messageOf(error) });
      sendJson(res, 503, { error: { code: "STORAGE_FAILED", message: `room ${JSON.stringify(route.room)} could not be opened` } });
    });
  });

  http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => undefined);
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://localhost");
    } catch {
      return refuseUpgrade(socket, "400 Bad Request");
    }
    if (url.pathname === "/sync/ws") return; // the entity-sync server's own listener takes it
    const route = routeOf(url.pathname);
    if (route === undefined || "error" in route || route.path !== "/sync/notify") return refuseUpgrade(socket, "404 Not Found");
    if (closing) return refuseUpgrade(socket, "503 Service Unavailable");
    if (access.enabled) {
      const verdict = access.check(bearer(req, url), route.room);
      if (!verdict.ok) {
        log.warn("refused", { protocol: "notify", room: route.room, reason: verdict.reason });
        return refuseUpgrade(socket, "401 Unauthorized");
      }
    }
    log.info("notify-open", { room: route.room });
    req.url = route.path + url.search;
    rooms.upgrade(route.room, req, socket, head).catch((error: unknown) => {
      if (error instanceof RoomLimitError) log.warn("room-limit", { room: route.room });
      else log.error("room-failed", { room: route.room, error: messageOf(error) });
      refuseUpgrade(socket, "503 Service Unavailable");
    });
  });
  http.on("clientError", (_error, socket: Duplex) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
  });

  try {
    await new Promise<void>((resolve, reject) => {
      http.once("error", reject);
      http.listen(config.port ?? 0, config.host ?? "127.0.0.1", () => {
        http.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await storage.close().catch(() => undefined);
    throw new ServerError(ServerErrorCode.ListenFailed, `cannot listen on ${config.host ?? "127.0.0.1"}:${config.port ?? 0}: ${messageOf(error)}`, { cause: error });
  }

  let entities: WebSocketSyncServer | undefined;
  try {
    entities = await createWebSocketSyncServer({
      server: http,
      path: "/sync/ws",
      ...(config.dataDir === undefined ? {} : { dataDir: join(config.dataDir, "entities") }),
      authenticate: ({ token, roomId, userId }) => {
        const verdict = access.check(token, roomId, userId);
        if (verdict.ok) log.info("ws-join", { room: roomId, user: userId });
        else log.warn("refused", { protocol: "entities", room: roomId, user: userId, reason: verdict.reason });
        return verdict.ok;
      },
      onError: (error) => log.error("entities-error", { error: messageOf(error) }),
    });
  } catch (error) {
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await storage.close().catch(() => undefined);
    throw new ServerError(ServerErrorCode.StorageFailed, `cannot start entity sync: ${messageOf(error)}`, { cause: error });
  }

  const address = http.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const shown = host === "0.0.0.0" ? "127.0.0.1" : host === "[::]" ? "[::1]" : host;
  return {
    url: `http://${shown}:${address.port}`,
    port: address.port,
    storageKind: storage.kind,
    close: (reason = "shutdown") =>
      (closing ??= (async () => {
        log.info("closing", { reason });
        // Operations first: pushes in flight finish and are answered before their storage closes.
        await rooms.close();
        await entities?.close();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
        await storage.close().catch((error: unknown) => log.error("storage-close-failed", { error: messageOf(error) }));
        log.info("closed", { reason });
      })()),
  };
}
