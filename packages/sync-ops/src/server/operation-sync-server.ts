import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { SyncOpsError, SyncOpsErrorCode, messageOf } from "../errors";
import { createPGliteSyncStorage } from "../storage/pglite-storage";
import type { SyncStorage } from "../storage/types";
import type { PendingOperation, PushResponse, StateSyncResponse } from "../types";
import { describeZodError, pushRequestSchema, stateRequestSchema } from "../wire";
import { isServerSchema, type ServerSchema } from "./entity-check";
import { HttpRefusal, bearerToken, readJsonBody, sendError, sendJson } from "./http-io";
import type { Mutator } from "./mutator-transaction";
import { NotificationHub } from "./notification-hub";
import { PushProcessor } from "./push-processor";

/** The endpoint paths. */
export interface OperationSyncPaths {
  /** @default "/sync/operations" */
  operations?: string;
  /** @default "/sync/state" */
  state?: string;
  /** WebSocket notifications. @default "/sync/notify" */
  notify?: string;
  /** Server-Sent Events notifications. @default "/sync/events" */
  events?: string;
}

/** Options of `createOperationSyncServer`. */
export interface OperationSyncServerOptions {
  /** The named operations: `(tx, ...args)`; a throw refuses that operation. @default {} */
  mutators?: Readonly<Record<string, Mutator>>;
  /** Validates every entity a mutator writes: one Standard Schema, or one per entity type. @default none (only `{ id, type }` is checked) */
  schema?: ServerSchema;
  /** Checks the bearer token of every request and notification connection. @default none (everyone is let in) */
  authenticate?: (token: string, request: IncomingMessage) => boolean | Promise<boolean>;
  /** Where state lives. @default an in-memory PGlite storage, closed by `close()` */
  storage?: SyncStorage;
  /** Port to listen on; 0 picks a free one. Ignored with `server` when it already listens. @default 0 */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** Attach to this `http.Server` instead of creating one (requests to other paths are left to its other listeners). */
  server?: Server;
  paths?: OperationSyncPaths;
  /** Largest body accepted, in bytes (413 past it). @default 1_048_576 */
  maxBodyBytes?: number;
  /** Most operations in one push (413 past it). @default 1000 */
  maxOperationsPerPush?: number;
  /** Most operations applied in one SQL transaction when concurrent pushes are grouped. @default 5000 */
  maxGroupOperations?: number;
  /** Serve `upsert<Type>(id, entity)` / `delete<Type>(id)` when no mutator has that name. @default true */
  builtinOperations?: boolean;
  /** WebSocket ping / SSE comment interval, ms. @default 15000 */
  heartbeatIntervalMs?: number;
  /** Send `Access-Control-Allow-Origin: *` and answer preflights. @default true */
  cors?: boolean;
  /** Server clock (ms since the epoch). @default Date.now */
  now?: () => number;
  /** Hears server-side failures (storage errors, a throwing authenticator). @default console.error */
  onError?: (error: unknown) => void;
}

/** A running operation-sync server. */
export interface OperationSyncServer {
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  /** The storage in use. */
  readonly storage: SyncStorage;
  /** Open notification connections (WebSocket and SSE). */
  connectionCount(): number;
  /** Stops serving: closes notification connections, waits for pushes in flight, stops listening (an attached server keeps running), closes a storage it created. */
  close(): Promise<void>;
}

const cors = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "authorization, content-type",
  "access-control-allow-methods": "GET, POST, OPTIONS",
};

/**
 * Starts the authoritative operation server: `POST /sync/operations`,
 * `POST /sync/state`, WebSocket `/sync/notify`, SSE `GET /sync/events`.
 * Operations are applied exactly once, in each client's id order, with the
 * client's last operation id written in the same SQL transaction as the
 * effects. The server answers bad input with an error body and keeps serving.
 *
 * @example
 * const server = await createOperationSyncServer({
 *   mutators: { addTodo: async (tx, id: string, title: string) => tx.upsert("todo", id, { title, done: false }) },
 * });
 * // … server.url; later: await server.close();
 */
export async function createOperationSyncServer(options: OperationSyncServerOptions = {}): Promise<OperationSyncServer> {
  if (options.schema !== undefined && !isServerSchema(options.schema)) {
    throw new SyncOpsError(SyncOpsErrorCode.InvalidArgument, "schema: expected a Standard Schema or a record of Standard Schemas by entity type");
  }
  const mutators = options.mutators ?? {};
  for (const [name, fn] of Object.entries(mutators)) {
    if (typeof fn !== "function") throw new SyncOpsError(SyncOpsErrorCode.InvalidArgument, `mutators.${name}: expected a function`);
  }
  const paths = {
    operations: options.paths?.operations ?? "/sync/operations",
    state: options.paths?.state ?? "/sync/state",
    notify: options.paths?.notify ?? "/sync/notify",
    events: options.paths?.events ?? "/sync/events",
  };
  const now = options.now ?? Date.now;
  const maxBody = options.maxBodyBytes ?? 1_048_576;
  const maxOps = options.maxOperationsPerPush ?? 1000;
  const onError = options.onError ?? ((error: unknown) => console.error("[kalphite sync-ops server]", error));
  const allowCors = options.cors ?? true;
  const ownsStorage = options.storage === undefined;
  const storage = options.storage ?? (await createPGliteSyncStorage());

  const hub = new NotificationHub({ now, heartbeatIntervalMs: options.heartbeatIntervalMs ?? 15_000 });
  let lastAnnounced = 0;
  const announce = (version: number, types: readonly string[], clientIds: readonly string[]) => {
    if (version <= lastAnnounced) return;
    lastAnnounced = version;
    hub.stateChanged(version, types, clientIds);
  };
  const processor = new PushProcessor({
    storage,
    mutators,
    schema: options.schema,
    builtinOperations: options.builtinOperations ?? true,
    maxGroupOperations: options.maxGroupOperations ?? 5000,
    now,
    onCommitted: (event) => {
      announce(event.stateVersion, event.affectedEntityTypes, event.clientIds);
      hub.operationsConfirmed(event.confirmations);
    },
  });
  // Changes made by other server instances on the same database (PostgreSQL LISTEN/NOTIFY).
  const offChange = storage.onChange((event) => announce(event.stateVersion, event.affectedEntityTypes, event.clientIds));

  let closing = false;
  const inFlight = new Set<Promise<void>>();

  const authenticate = async (req: IncomingMessage, url: URL): Promise<void> => {
    if (!options.authenticate) return;
    const token = bearerToken(req, url);
    if (token === undefined) throw new HttpRefusal(SyncOpsErrorCode.Unauthorized, "missing bearer token (Authorization: Bearer <token>)");
    let ok: boolean;
    try {
      ok = await options.authenticate(token, req);
    } catch (error) {
      onError(error);
      throw new HttpRefusal(SyncOpsErrorCode.Unauthorized, "the token could not be verified");
    }
    if (ok !== true) throw new HttpRefusal(SyncOpsErrorCode.Unauthorized, "invalid bearer token");
  };

  const handlePush = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    await authenticate(req, url);
    const body = await readJsonBody(req, maxBody);
    if (typeof body === "object" && body !== null && Array.isArray((body as { operations?: unknown }).operations)) {
      const count = (body as { operations: unknown[] }).operations.length;
      if (count > maxOps) throw new HttpRefusal(SyncOpsErrorCode.PayloadTooLarge, `${count} operations in one push; the limit is ${maxOps}`);
    }
    const parsed = pushRequestSchema.safeParse(body);
    if (!parsed.success) throw new HttpRefusal(SyncOpsErrorCode.BadRequest, describeZodError(parsed.error));
    let outcome;
    try {
      outcome = await processor.push(parsed.data.operations as PendingOperation[]);
    } catch (error) {
      onError(error);
      throw new HttpRefusal(SyncOpsErrorCode.StorageFailed, `storage failed; nothing of this push was applied: ${messageOf(error)}`);
    }
    const response: PushResponse = { confirmations: outcome.confirmations };
    if (outcome.gaps.length > 0) response.gaps = outcome.gaps;
    sendJson(res, 200, response, allowCors ? cors : {});
  };

  const handleState = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    await authenticate(req, url);
    const body = await readJsonBody(req, maxBody);
    const parsed = stateRequestSchema.safeParse(body);
    if (!parsed.success) throw new HttpRefusal(SyncOpsErrorCode.BadRequest, describeZodError(parsed.error));
    let snapshot;
    try {
      snapshot = await storage.readState({
        sinceVersion: parsed.data.stateVersion === "" ? undefined : parsed.data.stateVersion,
        entityTypes: parsed.data.entityTypes,
        clientId: parsed.data.clientId,
        confirmedOperationId: parsed.data.confirmedOperationId,
      });
    } catch (error) {
      onError(error);
      throw new HttpRefusal(SyncOpsErrorCode.StorageFailed, `storage failed: ${messageOf(error)}`);
    }
    const response: StateSyncResponse = {
      stateVersion: String(snapshot.stateVersion),
      entities: snapshot.entities,
      deletedEntityIds: snapshot.deleted.map((d) => d.entityId),
      deleted: snapshot.deleted,
      lastOperationIds: snapshot.lastOperationIds,
      reset: snapshot.reset,
      syncTimestamp: now(),
    };
    if (parsed.data.clientId !== undefined) response.failedOperations = snapshot.failedOperations;
    sendJson(res, 200, response, allowCors ? cors : {});
  };

  const route = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    if (closing) throw new HttpRefusal(SyncOpsErrorCode.ShuttingDown, "the server is closing");
    if (req.method === "OPTIONS" && allowCors) {
      res.writeHead(204, cors);
      res.end();
      return;
    }
    const expect = (method: string) => {
      if (req.method !== method) throw new HttpRefusal(SyncOpsErrorCode.MethodNotAllowed, `${url.pathname} takes ${method}, not ${req.method}`);
    };
    switch (url.pathname) {
      case paths.operations:
        expect("POST");
        return handlePush(req, res, url);
      case paths.state:
        expect("POST");
        return handleState(req, res, url);
      case paths.events:
        expect("GET");
        await authenticate(req, url);
        if (closing) throw new HttpRefusal(SyncOpsErrorCode.ShuttingDown, "the server is closing");
        if (allowCors) res.setHeader("access-control-allow-origin", "*");
        hub.openEventStream(req, res, url);
        return;
      case paths.notify:
        throw new HttpRefusal(SyncOpsErrorCode.BadRequest, `${paths.notify} is a WebSocket endpoint (send an Upgrade request)`);
      default:
        throw new HttpRefusal(SyncOpsErrorCode.NotFound, `no endpoint ${url.pathname}`);
    }
  };

  const ours = (pathname: string) => Object.values(paths).includes(pathname);
  const parseUrl = (req: IncomingMessage) => {
    try {
      return new URL(req.url ?? "/", "http://localhost");
    } catch {
      return undefined;
    }
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const url = parseUrl(req);
    if (options.server && (!url || !ours(url.pathname))) return; // someone else's path
    const work = (async () => {
      try {
        if (!url) throw new HttpRefusal(SyncOpsErrorCode.BadRequest, "unparsable request URL");
        await route(req, res, url);
      } catch (error) {
        const refusal = error instanceof HttpRefusal ? error : new HttpRefusal(SyncOpsErrorCode.Internal, `internal error: ${messageOf(error)}`);
        if (!(error instanceof HttpRefusal)) onError(error);
        const headers: Record<string, string> = allowCors ? { ...cors } : {};
        if (refusal.status === 401) headers["www-authenticate"] = 'Bearer realm="kalphite"';
        if (refusal.status === 413) headers.connection = "close";
        sendError(res, refusal, headers);
      }
    })();
    inFlight.add(work);
    work
      .catch((error: unknown) => onError(error)) // a response that could not even be written
      .finally(() => inFlight.delete(work));
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = parseUrl(req);
    if (!url || url.pathname !== paths.notify) {
      if (!options.server) socket.destroy();
      return;
    }
    socket.on("error", () => undefined);
    const refuse = (status: number, text: string) => {
      if (socket.writable) socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      else socket.destroy();
    };
    if (closing) {
      refuse(503, "Service Unavailable");
      return;
    }
    authenticate(req, url)
      .then(
        () => (closing ? refuse(503, "Service Unavailable") : hub.upgrade(req, socket, head, url)),
        () => refuse(401, "Unauthorized"),
      )
      .catch((error: unknown) => {
        onError(error);
        socket.destroy();
      });
  };

  const server = options.server ?? createServer();
  server.on("request", onRequest);
  server.on("upgrade", onUpgrade);
  const clientError = (_error: unknown, socket: Duplex) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
  };
  if (!options.server) server.on("clientError", clientError);

  const host = options.host ?? "127.0.0.1";
  try {
    if (!server.listening) {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port ?? 0, host, () => {
          server.off("error", reject);
          resolve();
        });
      });
    }
  } catch (error) {
    server.off("request", onRequest);
    server.off("upgrade", onUpgrade);
    hub.close();
    offChange();
    if (ownsStorage) await storage.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const urlHost = address.family === "IPv6" || address.address.includes(":") ? `[${address.address}]` : address.address;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    storage,
    connectionCount: () => hub.size,
    close: () =>
      (closed ??= (async () => {
        closing = true;
        hub.close();
        offChange();
        await Promise.allSettled([...inFlight]);
        await processor.idle();
        server.off("request", onRequest);
        server.off("upgrade", onUpgrade);
        if (!options.server) {
          server.off("clientError", clientError);
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          });
        }
        if (ownsStorage) await storage.close();
      })()),
  };
}
