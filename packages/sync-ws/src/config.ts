import { WebSocket as NodeWebSocket } from "ws";
import { SyncError, SyncErrorCode } from "./errors";
import { FrontendDatabase } from "@kalphite/pglite";
import { createMemorySyncStorage } from "./storage/memory-storage";
import { createPGliteSyncStorage, type PGliteLike } from "./storage/pglite-storage";
import type { SyncStateStorage } from "./storage/state-storage";
import type { ConflictResolution, ConflictStrategy, SyncConfig, SyncTimers, WebSocketConstructor } from "./types";

/** The defaults of `SyncConfig`'s optional fields. */
export const SYNC_DEFAULTS = {
  reconnectAttempts: 10,
  heartbeatInterval: 15_000,
  maxQueueSize: 10_000,
  reconnectDelay: 500,
  maxReconnectDelay: 30_000,
  connectTimeout: 10_000,
  strategy: "last-write-wins" as ConflictStrategy,
} as const;

/** The real timers; each call reads the globals then, so fake timers installed later still apply. */
export const systemTimers: SyncTimers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
  now: () => Date.now(),
};

/** A `SyncConfig` with defaults applied and every value checked. */
export interface ResolvedSyncConfig {
  readonly wsUrl: string;
  readonly roomId: string;
  readonly userId: string;
  readonly authToken: string | undefined;
  readonly reconnectAttempts: number;
  readonly heartbeatInterval: number;
  readonly clientId: string | undefined;
  readonly strategy: ConflictStrategy;
  readonly resolver: ConflictResolution["resolver"];
  readonly WebSocket: WebSocketConstructor;
  readonly timers: SyncTimers;
  readonly storage: SyncStateStorage;
  readonly maxQueueSize: number;
  readonly reconnectDelay: number;
  readonly maxReconnectDelay: number;
  readonly connectTimeout: number;
  readonly random: () => number;
}

function invalid(message: string): SyncError {
  return new SyncError(SyncErrorCode.InvalidConfig, `NetworkSyncEngine config: ${message}`);
}

function count(value: unknown, name: string, fallback: number, min: number, allowInfinity = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value) || value < min || (!Number.isFinite(value) && !allowInfinity) || (Number.isFinite(value) && !Number.isInteger(value))) {
    throw invalid(`${name} must be an integer ≥ ${min}${allowInfinity ? " (or Infinity)" : ""}, got ${String(value)}`);
  }
  return value;
}

function text(value: unknown, name: string, allowEmpty: boolean): string {
  if (typeof value !== "string" || (!allowEmpty && value === "")) throw invalid(`${name} must be a ${allowEmpty ? "" : "non-empty "}string, got ${JSON.stringify(value)}`);
  return value;
}

/** Checks a config and fills in the defaults. `wsUrl` may be empty here; `connect()` checks it. */
export function resolveSyncConfig(config: SyncConfig): ResolvedSyncConfig {
  if (typeof config !== "object" || config === null) throw invalid("expected an object");
  const strategy = config.conflictResolution?.strategy ?? SYNC_DEFAULTS.strategy;
  if (!["last-write-wins", "operational-transform", "manual"].includes(strategy)) {
    throw invalid(`conflictResolution.strategy must be "last-write-wins", "operational-transform" or "manual", got ${JSON.stringify(strategy)}`);
  }
  const resolver = config.conflictResolution?.resolver;
  if (resolver !== undefined && typeof resolver !== "function") throw invalid("conflictResolution.resolver must be a function");
  const storage = resolveStorage(config.storage);
  const given = config.timers;
  if (given !== undefined && (typeof given.setTimeout !== "function" || typeof given.clearTimeout !== "function" || (given.now !== undefined && typeof given.now !== "function"))) {
    throw invalid("timers must have setTimeout and clearTimeout (and optionally now)");
  }
  const timers: SyncTimers = given === undefined ? systemTimers : { setTimeout: given.setTimeout.bind(given), clearTimeout: given.clearTimeout.bind(given), now: given.now?.bind(given) ?? (() => Date.now()) };
  const WebSocketImpl = config.WebSocket ?? (NodeWebSocket as unknown as WebSocketConstructor);
  if (typeof WebSocketImpl !== "function") throw invalid("WebSocket must be a constructor");
  const random = config.random ?? Math.random;
  if (typeof random !== "function") throw invalid("random must be a function");
  const reconnectDelay = count(config.reconnectDelay, "reconnectDelay", SYNC_DEFAULTS.reconnectDelay, 0);
  return {
    wsUrl: text(config.wsUrl ?? "", "wsUrl", true),
    roomId: text(config.roomId, "roomId", false),
    userId: text(config.userId, "userId", false),
    authToken: config.authToken === undefined ? undefined : text(config.authToken, "authToken", true),
    reconnectAttempts: count(config.reconnectAttempts, "reconnectAttempts", SYNC_DEFAULTS.reconnectAttempts, 0, true),
    heartbeatInterval: count(config.heartbeatInterval, "heartbeatInterval", SYNC_DEFAULTS.heartbeatInterval, 1),
    clientId: config.clientId === undefined ? undefined : text(config.clientId, "clientId", false),
    strategy,
    resolver,
    WebSocket: WebSocketImpl,
    timers,
    storage,
    maxQueueSize: count(config.maxQueueSize, "maxQueueSize", SYNC_DEFAULTS.maxQueueSize, 1, true),
    reconnectDelay,
    maxReconnectDelay: Math.max(reconnectDelay, count(config.maxReconnectDelay, "maxReconnectDelay", SYNC_DEFAULTS.maxReconnectDelay, 0)),
    connectTimeout: count(config.connectTimeout, "connectTimeout", SYNC_DEFAULTS.connectTimeout, 1),
    random,
  };
}

/**
 * The storage option: a `SyncStateStorage`, `"memory"`, or a PGlite database
 * (a `FrontendDatabase` or a `PGlite` instance) wrapped by `createPGliteSyncStorage`.
 */
function resolveStorage(storage: SyncConfig["storage"]): SyncStateStorage {
  if (storage === undefined || storage === "memory") return createMemorySyncStorage();
  if (storage instanceof FrontendDatabase) return createPGliteSyncStorage(storage);
  const s = storage as Partial<SyncStateStorage & PGliteLike> | null;
  if (typeof s?.load === "function" && typeof s.write === "function") return storage as SyncStateStorage;
  if (typeof s?.query === "function" && typeof s.exec === "function" && typeof s.transaction === "function") return createPGliteSyncStorage(storage as PGliteLike);
  throw invalid('storage must be a SyncStateStorage ({ load, write }), "memory", a FrontendDatabase or a PGlite instance');
}

/** Checks `wsUrl` when it is used: a `ws:` or `wss:` URL. */
export function checkWsUrl(wsUrl: string): void {
  let url: URL;
  try {
    url = new URL(wsUrl);
  } catch {
    throw invalid(`wsUrl must be a ws:// or wss:// URL, got ${JSON.stringify(wsUrl)}`);
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:") throw invalid(`wsUrl must be a ws:// or wss:// URL, got ${JSON.stringify(wsUrl)}`);
}

/** The delay before retry `attempt` (1 for the first): `base · 2^(attempt−1)`, capped at `max`, times 0.75–1.25 from `random()`. */
export function backoffDelay(attempt: number, base: number, max: number, random: () => number): number {
  const exponential = Math.min(max, base * 2 ** Math.min(attempt - 1, 30));
  const r = random();
  const jitter = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0.5;
  return Math.round(exponential * (0.75 + 0.5 * jitter));
}
