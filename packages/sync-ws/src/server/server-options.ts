import type { IncomingMessage, Server } from "node:http";
import { SyncError, SyncErrorCode } from "../errors";
import type { ConflictStrategy, SyncTimers } from "../types";
import { systemTimers } from "../config";
import type { RateLimit } from "./rate-limit";
import type { SyncServerStorage } from "./server-storage";

/** What `authenticate` is asked about. */
export interface AuthenticateRequest {
  /** The client's `authToken` (`undefined` when it sent none). */
  token: string | undefined;
  roomId: string;
  userId: string;
  clientId: string;
  /** The HTTP upgrade request (headers, address). */
  request: IncomingMessage;
}

/** Options of `createWebSocketSyncServer`. */
export interface WebSocketSyncServerOptions {
  /** The port to listen on; 0 picks a free one. Ignored with `server`. @default 0 */
  port?: number;
  /** The interface to listen on. @default "127.0.0.1" */
  host?: string;
  /**
   * An existing `http.Server` to attach to instead of creating one: only
   * upgrades to `path` are taken, others are left to other handlers. It is
   * started on `port`/`host` when not listening yet; `close()` leaves it open.
   * @default undefined (a server of its own)
   */
  server?: Server;
  /** The WebSocket path. @default "/sync/ws" */
  path?: string;
  /** Accepts or refuses a client (a refusal closes with 4001). @default undefined (everyone is accepted) */
  authenticate?: (request: AuthenticateRequest) => boolean | Promise<boolean>;
  /** A directory for PGlite on disk. @default undefined (in memory, lost on close) */
  dataDir?: string;
  /** Another storage (e.g. for tests or PostgreSQL); wins over `dataDir`. Not closed by `close()`. */
  storage?: SyncServerStorage;
  /** The largest frame accepted; a larger one closes the connection with 1009. @default 1048576 (1 MiB) */
  maxPayloadBytes?: number;
  /** Per-connection rate limit (heartbeats are not counted), or `false` for none. @default { maxMessages: 1000, intervalMs: 1000 } */
  rateLimit?: RateLimit | false;
  /** The heartbeat interval for clients that announce none; silence for two intervals closes the connection. @default 30000 */
  heartbeatInterval?: number;
  /** Time allowed between connecting and the `auth` frame (then close 4008). @default 10000 */
  authTimeoutMs?: number;
  /** How concurrent versions are merged; must be the clients' strategy. @default "last-write-wins" */
  conflictResolution?: ConflictStrategy | { strategy: ConflictStrategy };
  /** @default the global timers */
  timers?: SyncTimers;
  /** Called with errors that concern no client (storage failures, socket errors, a throwing `authenticate`). @default ignore */
  onError?: (error: unknown) => void;
}

/** Options with defaults applied. */
export interface ResolvedServerOptions {
  readonly port: number;
  readonly host: string;
  readonly server: Server | undefined;
  readonly path: string;
  readonly authenticate: WebSocketSyncServerOptions["authenticate"];
  readonly dataDir: string | undefined;
  readonly storage: SyncServerStorage | undefined;
  readonly maxPayloadBytes: number;
  readonly rateLimit: RateLimit | false;
  readonly heartbeatInterval: number;
  readonly authTimeoutMs: number;
  readonly strategy: ConflictStrategy;
  readonly timers: SyncTimers;
  readonly onError: (error: unknown) => void;
}

/** The server's defaults. */
export const SERVER_DEFAULTS = {
  port: 0,
  host: "127.0.0.1",
  path: "/sync/ws",
  maxPayloadBytes: 1_048_576,
  rateLimit: { maxMessages: 1000, intervalMs: 1000 },
  heartbeatInterval: 30_000,
  authTimeoutMs: 10_000,
  strategy: "last-write-wins" as ConflictStrategy,
} as const;

function invalid(message: string): SyncError {
  return new SyncError(SyncErrorCode.InvalidConfig, `createWebSocketSyncServer: ${message}`);
}

function positive(value: unknown, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) throw invalid(`${name} must be an integer ≥ ${min}, got ${String(value)}`);
  return value;
}

/** Checks the options and fills in defaults. */
export function resolveServerOptions(options: WebSocketSyncServerOptions = {}): ResolvedServerOptions {
  if (typeof options !== "object" || options === null) throw invalid("options must be an object");
  const port = positive(options.port, "port", SERVER_DEFAULTS.port, 0);
  if (port > 65_535) throw invalid(`port must be ≤ 65535, got ${port}`);
  const path = options.path ?? SERVER_DEFAULTS.path;
  if (typeof path !== "string" || !path.startsWith("/")) throw invalid(`path must start with "/", got ${JSON.stringify(path)}`);
  if (options.authenticate !== undefined && typeof options.authenticate !== "function") throw invalid("authenticate must be a function");
  if (options.dataDir !== undefined && (typeof options.dataDir !== "string" || options.dataDir === "")) throw invalid("dataDir must be a non-empty string");
  let rateLimit: RateLimit | false = SERVER_DEFAULTS.rateLimit;
  if (options.rateLimit === false) rateLimit = false;
  else if (options.rateLimit !== undefined) {
    rateLimit = {
      maxMessages: positive(options.rateLimit.maxMessages, "rateLimit.maxMessages", SERVER_DEFAULTS.rateLimit.maxMessages),
      intervalMs: positive(options.rateLimit.intervalMs, "rateLimit.intervalMs", SERVER_DEFAULTS.rateLimit.intervalMs),
    };
  }
  const strategy = typeof options.conflictResolution === "string" ? options.conflictResolution : (options.conflictResolution?.strategy ?? SERVER_DEFAULTS.strategy);
  if (!["last-write-wins", "operational-transform", "manual"].includes(strategy)) throw invalid(`conflictResolution must be a strategy name, got ${JSON.stringify(strategy)}`);
  return {
    port,
    host: options.host ?? SERVER_DEFAULTS.host,
    server: options.server,
    path,
    authenticate: options.authenticate,
    dataDir: options.dataDir,
    storage: options.storage,
    maxPayloadBytes: positive(options.maxPayloadBytes, "maxPayloadBytes", SERVER_DEFAULTS.maxPayloadBytes, 64),
    rateLimit,
    heartbeatInterval: positive(options.heartbeatInterval, "heartbeatInterval", SERVER_DEFAULTS.heartbeatInterval),
    authTimeoutMs: positive(options.authTimeoutMs, "authTimeoutMs", SERVER_DEFAULTS.authTimeoutMs),
    strategy,
    timers: options.timers ?? systemTimers,
    onError: options.onError ?? (() => {}),
  };
}
