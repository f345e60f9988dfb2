import type { FlushTimers } from "@kalphite/flush";
import { systemTimers } from "@kalphite/flush";
import { WebSocket as NodeWebSocket } from "ws";
import { SyncOpsError, SyncOpsErrorCode } from "../errors";
import type { HttpClient, ModernSyncConfig } from "../types";
import { createFetchHttpClient } from "./fetch-http-client";
import type { WebSocketConstructor } from "./notification-channel";
import { createMemoryOperationStorage, type OperationStorage } from "./operation-storage";

/**
 * `ModernSyncConfig` plus the injected parts and tuning `ModernSyncEngine`
 * takes (all optional, with real defaults).
 */
export interface ModernSyncEngineConfig extends ModernSyncConfig {
  /** @default a `fetch`-based client (`createFetchHttpClient`) */
  httpClient?: HttpClient;
  /** Pending operations and the state version; an injected storage is not closed by `close()`. @default in memory (`createMemoryOperationStorage`) */
  storage?: OperationStorage;
  /**
   * WebSocket for `notificationUrl`. @default in a browser the platform's
   * `WebSocket`, in Node the `ws` package
   */
  WebSocket?: WebSocketConstructor;
  /**
   * Send the token in the notification URL's query (`?token=`) as well as in
   * the `Authorization` header: a browser's WebSocket cannot send headers.
   * @default true when the browser's own WebSocket is used, false otherwise
   */
  notificationTokenInQuery?: boolean;
  /** For the SSE notification stream. @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * `"sse"` listens on `eventsEndpoint` (or `notificationUrl` when it is an
   * http(s) URL) instead of a WebSocket.
   * @default "websocket" when `notificationUrl` is set, none otherwise
   */
  notificationTransport?: "websocket" | "sse" | "none";
  /** @default "/sync/events" */
  eventsEndpoint?: string;
  /** Pull this often even without notifications, ms; 0 turns it off. @default 30000 */
  pullInterval?: number;
  /** First retry delay after a failed push or pull, ms (doubles, with jitter). @default 500 */
  retryDelay?: number;
  /** Longest retry delay, ms. @default 30000 */
  maxRetryDelay?: number;
  /** Per-request timeout, ms. @default 10000 */
  requestTimeout?: number;
  /** Only these entity types are pulled. @default all */
  entityTypes?: string[];
  /** @default the global timers and Date.now (read at each call, so fake timers apply) */
  timers?: FlushTimers;
  /** Random numbers in [0, 1) for jitter. @default Math.random */
  random?: () => number;
}

/**
 * The default WebSocket: the platform's in a browser (it takes no options, so
 * headers cannot be sent), the `ws` package in Node (it honours `headers`).
 */
function platformWebSocket(): { WebSocket: WebSocketConstructor; sendsHeaders: boolean } {
  const g = globalThis as { window?: unknown; WebSocket?: new (url: string) => unknown };
  const Platform = g.WebSocket;
  if (g.window !== undefined && typeof Platform === "function") {
    const browser = function (url: string) {
      return new Platform(url);
    };
    return { WebSocket: browser as unknown as WebSocketConstructor, sendsHeaders: false };
  }
  return { WebSocket: NodeWebSocket as unknown as WebSocketConstructor, sendsHeaders: true };
}

/** The defaults of `ModernSyncEngineConfig`. */
export const MODERN_SYNC_DEFAULTS = {
  operationsEndpoint: "/sync/operations",
  stateEndpoint: "/sync/state",
  eventsEndpoint: "/sync/events",
  batchSize: 10,
  stateVersionKey: "stateVersion",
  offlineQueueLimit: 1000,
  pullInterval: 30_000,
  retryDelay: 500,
  maxRetryDelay: 30_000,
  requestTimeout: 10_000,
} as const;

/** A config with defaults applied and checked. */
export interface ResolvedModernConfig {
  readonly clientId: string;
  readonly userId: string;
  authToken: string | undefined;
  readonly operationsUrl: string;
  readonly stateUrl: string;
  readonly notification: { kind: "websocket" | "sse"; url: string } | undefined;
  readonly batchSize: number;
  readonly stateVersionKey: string;
  readonly offlineQueueLimit: number;
  readonly pullInterval: number;
  readonly retryDelay: number;
  readonly maxRetryDelay: number;
  readonly requestTimeout: number;
  readonly entityTypes: string[] | undefined;
  readonly http: HttpClient;
  readonly storage: OperationStorage;
  /** The storage is the engine's own default (closed by `close()`). */
  readonly ownsStorage: boolean;
  readonly WebSocket: WebSocketConstructor;
  readonly notificationTokenInQuery: boolean;
  readonly fetch: typeof fetch;
  readonly timers: Required<FlushTimers>;
  readonly random: () => number;
}

const invalid = (message: string) => new SyncOpsError(SyncOpsErrorCode.InvalidArgument, `ModernSyncEngine config: ${message}`);

function int(value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) throw invalid(`${name} must be an integer ≥ ${min}, got ${String(value)}`);
  return value;
}

function nonEmpty(value: unknown, name: string): string {
  if (typeof value !== "string" || value === "") throw invalid(`${name} must be a non-empty string`);
  return value;
}

function resolveUrl(base: string, endpoint: string, name: string): string {
  try {
    return new URL(endpoint, base.endsWith("/") ? base : `${base}/`).toString();
  } catch {
    throw invalid(`${name} ${JSON.stringify(endpoint)} does not resolve against baseUrl ${JSON.stringify(base)}`);
  }
}

/** Applies defaults and checks every value; throws `INVALID_ARGUMENT` naming the option. */
export function resolveModernConfig(config: ModernSyncEngineConfig): ResolvedModernConfig {
  if (typeof config !== "object" || config === null) throw invalid("expected an object");
  const platform = platformWebSocket();
  const baseUrl = nonEmpty(config.baseUrl, "baseUrl");
  try {
    new URL(baseUrl);
  } catch {
    throw invalid(`baseUrl ${JSON.stringify(baseUrl)} is not an absolute URL`);
  }
  const d = MODERN_SYNC_DEFAULTS;
  // Endpoints are resolved under baseUrl's path (so a server behind "/api" works); absolute URLs are kept.
  const endpoint = (value: string | undefined, fallback: string, name: string) =>
    resolveUrl(baseUrl, (value ?? fallback).replace(/^\/+/, ""), name);
  const transport = config.notificationTransport ?? (config.notificationUrl ? "websocket" : "none");
  let notification: ResolvedModernConfig["notification"];
  if (transport === "websocket") {
    if (!config.notificationUrl) throw invalid(`notificationTransport "websocket" needs notificationUrl`);
    if (!/^wss?:\/\//.test(config.notificationUrl)) throw invalid(`notificationUrl must be a ws:// or wss:// URL, got ${JSON.stringify(config.notificationUrl)}`);
    notification = { kind: "websocket", url: config.notificationUrl };
  } else if (transport === "sse") {
    const url = config.notificationUrl && /^https?:\/\//.test(config.notificationUrl) ? config.notificationUrl : endpoint(config.eventsEndpoint, d.eventsEndpoint, "eventsEndpoint");
    notification = { kind: "sse", url };
  } else if (transport !== "none") {
    throw invalid(`notificationTransport must be "websocket", "sse" or "none"`);
  }
  if (config.authToken !== undefined && typeof config.authToken !== "string") throw invalid("authToken must be a string");
  if (config.entityTypes !== undefined && (!Array.isArray(config.entityTypes) || config.entityTypes.some((t) => typeof t !== "string" || t === ""))) {
    throw invalid("entityTypes must be an array of non-empty strings");
  }
  const timers = config.timers ?? systemTimers;
  return {
    clientId: nonEmpty(config.clientId, "clientId"),
    userId: nonEmpty(config.userId, "userId"),
    authToken: config.authToken,
    operationsUrl: endpoint(config.operationsEndpoint, d.operationsEndpoint, "operationsEndpoint"),
    stateUrl: endpoint(config.stateEndpoint, d.stateEndpoint, "stateEndpoint"),
    notification,
    batchSize: int(config.batchSize, "batchSize", d.batchSize, 1),
    stateVersionKey: config.stateVersionKey === undefined ? d.stateVersionKey : nonEmpty(config.stateVersionKey, "stateVersionKey"),
    offlineQueueLimit: int(config.offlineQueueLimit, "offlineQueueLimit", d.offlineQueueLimit, 1),
    pullInterval: int(config.pullInterval, "pullInterval", d.pullInterval, 0),
    retryDelay: int(config.retryDelay, "retryDelay", d.retryDelay, 1),
    maxRetryDelay: int(config.maxRetryDelay, "maxRetryDelay", d.maxRetryDelay, 1),
    requestTimeout: int(config.requestTimeout, "requestTimeout", d.requestTimeout, 1),
    entityTypes: config.entityTypes ? [...config.entityTypes] : undefined,
    http: config.httpClient ?? createFetchHttpClient({ ...(config.fetch ? { fetch: config.fetch } : {}) }),
    storage: config.storage ?? createMemoryOperationStorage(),
    ownsStorage: config.storage === undefined,
    WebSocket: config.WebSocket ?? platform.WebSocket,
    notificationTokenInQuery: config.notificationTokenInQuery ?? (config.WebSocket === undefined && !platform.sendsHeaders),
    fetch: config.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    timers: {
      setTimeout: (fn, ms) => timers.setTimeout(fn, ms),
      clearTimeout: (handle) => timers.clearTimeout(handle),
      now: () => (timers.now ? timers.now() : Date.now()),
    },
    random: config.random ?? Math.random,
  };
}
