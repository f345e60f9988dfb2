import type { Entity, EntityId } from "@kalphite/store";
import type { SyncError } from "./errors";
import type { FrontendDatabase } from "@kalphite/pglite";
import type { PGliteLike } from "./storage/pglite-storage";
import type { SyncStateStorage } from "./storage/state-storage";

/** A vector clock: for each replica (`clientId`), how many of its changes this version includes. */
export type VectorClock = Record<string, number>;

/** The three conflict strategies (see the README for exactly what each does). */
export type ConflictStrategy = "last-write-wins" | "operational-transform" | "manual";

/**
 * How concurrent versions of one entity are resolved.
 * - `last-write-wins` (default): the version with the larger `updatedAt` wins whole; ties by replica id.
 * - `operational-transform`: field by field against the last common version; a field changed on
 *   one side keeps that change, a field changed on both sides is last-write-wins for that field.
 * - `manual`: last-write-wins provisionally (so every replica agrees meanwhile), and the replica whose
 *   own unacknowledged edit collided emits `conflict` with `resolve(entity)`, or calls `resolver`.
 */
export interface ConflictResolution {
  strategy: ConflictStrategy;
  /** For `manual`: called with the local and remote versions; its result is written as a new change. */
  resolver?: (local: Entity, remote: Entity) => Entity;
}

/** A sync frame, as the specification names it. */
export interface SyncMessage {
  type: "change" | "ack" | "conflict" | "heartbeat";
  payload: any;
  /** Milliseconds since the epoch when the message was made. */
  timestamp: number;
  userId: string;
  messageId: string;
}

/** The write stamp last-write-wins compares: `t` (ms, from `updatedAt`), then replica id `r`. */
export interface WriteStamp {
  t: number;
  r: string;
}

/** One entity change on the wire, as the specification names it. */
export interface ChangeMessage extends SyncMessage {
  type: "change";
  payload: {
    operation: "upsert" | "delete";
    entityType: string;
    entityId: EntityId;
    entity?: Entity;
    vector: VectorClock;
    /** The write stamp (added by Kalphite; derived from `updatedAt` and the sender when absent). */
    stamp?: WriteStamp;
    /** Per-field stamps, sent under `operational-transform` (derived from `stamp` when absent). */
    fields?: Record<string, WriteStamp>;
  };
}

/** The short form `sendChange` also takes. */
export interface ShortChange {
  type: "upsert" | "delete";
  entityType: string;
  entityId: EntityId;
  entity?: Entity;
}

/** The payload of a `remoteChange` event: a change made elsewhere, now applied to this replica's state. */
export interface RemoteChangeEvent {
  type: "upsert" | "delete";
  entityType: string;
  entityId: EntityId;
  /** The entity's new state (for an upsert; for a delete, the removed entity when known). */
  entity?: Entity;
  /** When the change was made (ms since the epoch). */
  timestamp: number;
  /** Who made it (the authenticated user of the sender). */
  userId: string;
  /** The `messageId` of the change that caused it. */
  operationId: string;
  /** The replica that made it. */
  clientId: string;
}

/** The payload of a `conflict` event: two concurrent versions of one entity met on this replica. */
export interface ConflictEvent {
  entityType: string;
  entityId: EntityId;
  strategy: ConflictStrategy;
  /** This replica's version (`undefined` when it was a delete). */
  local: Entity | undefined;
  /** The incoming version (`undefined` when it was a delete). */
  remote: Entity | undefined;
  /** What the strategy produced and every replica now holds (`undefined`: deleted). Provisional under `manual`. */
  resolved: Entity | undefined;
  /**
   * Under `manual`, on the replica whose own unacknowledged edit collided (and no `resolver` is set):
   * writes `entity` as a new change that supersedes both versions, everywhere.
   */
  resolve?: (entity: Entity) => Promise<void>;
}

/** The payload of a `connected` event. */
export interface ConnectedEvent {
  clientId: string;
  roomId: string;
  /** The room's server sequence after catch-up. */
  seq: number;
}

/** The payload of a `disconnected` event. */
export interface DisconnectedEvent {
  /** Why, in words (`"disconnect() was called"`, `"heartbeat timeout"`, `"closed by server (1001 …)"`…). */
  reason: string;
  /** The WebSocket close code, when there was one. */
  code?: number;
  /** Whether the engine will try again (with backoff). */
  willReconnect: boolean;
  /** The error that ended the connection for good (`UNAUTHORIZED`, `CONNECT_FAILED`…), if any. */
  error?: SyncError;
}

/** The payload of a `reconnecting` event: the next attempt is scheduled. */
export interface ReconnectingEvent {
  /** 1 for the first retry. */
  attempt: number;
  /** Delay before it, ms (exponential with jitter). */
  delayMs: number;
}

/** The payload of an `ack` event: the server stored (or had stored) a change. */
export interface AckEvent {
  messageId: string;
  /** The room's server sequence of the change. */
  seq: number;
}

/** The events of a `NetworkSyncEngine`, with their payloads. */
export interface NetworkSyncEvents {
  connected: ConnectedEvent;
  disconnected: DisconnectedEvent;
  reconnecting: ReconnectingEvent;
  remoteChange: RemoteChangeEvent;
  conflict: ConflictEvent;
  ack: AckEvent;
  error: SyncError;
  status: "connected" | "connecting" | "disconnected";
}

/** The connection status `getConnectionStatus()` reports. */
export type ConnectionStatus = "connected" | "connecting" | "disconnected";

/** Timers and clock, injected for tests (fake timers) and other runtimes. */
export interface SyncTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** ms since the epoch. @default Date.now */
  now(): number;
}

/** The `timers` option: `now` may be left out (then `Date.now`). */
export type SyncTimersOption = Omit<SyncTimers, "now"> & { now?: () => number };

/** The subset of the WHATWG `WebSocket` the client uses (`ws` and browsers both fit). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** A `WebSocket` constructor (`ws`'s `WebSocket` by default; `globalThis.WebSocket` in browsers). */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/**
 * Configuration of a `NetworkSyncEngine`. The first six fields are the
 * specification's; the rest are Kalphite's, all optional. Subclasses may add
 * fields of their own.
 */
export interface SyncConfig {
  /** The server's WebSocket URL, e.g. `ws://127.0.0.1:8787/sync/ws`. Checked by `connect()`. */
  wsUrl: string;
  /** The room: changes are shared with, and only with, the room's other clients. */
  roomId: string;
  /** The user, as the server's `authenticate` sees it. */
  userId: string;
  /** Sent in the `auth` frame. @default undefined */
  authToken?: string;
  /** Retries after a lost connection (or a failed first attempt) before giving up. @default 10 */
  reconnectAttempts?: number;
  /** ms between heartbeats; a peer silent for two intervals is dead. @default 15000 */
  heartbeatInterval?: number;
  /**
   * This replica's id: vector clocks are keyed by it. @default the one the storage
   * persisted, else a new random id (persisted)
   */
  clientId?: string;
  /** @default { strategy: "last-write-wins" } */
  conflictResolution?: ConflictResolution;
  /** The WebSocket implementation. @default `ws`'s WebSocket */
  WebSocket?: WebSocketConstructor;
  /** @default the global timers and `Date.now` (read at each call, so fake timers apply) */
  timers?: SyncTimersOption;
  /**
   * Where the offline queue, the clocks, the cursor and the clientId live: a
   * `SyncStateStorage`, `"memory"`, or a PGlite database (a `FrontendDatabase`
   * or a `PGlite` instance, wrapped by `createPGliteSyncStorage`) so they survive a restart.
   * @default "memory"
   */
  storage?: SyncStateStorage | FrontendDatabase | PGliteLike | "memory";
  /** Most queued (unacknowledged) changes; one more is refused with `QUEUE_FULL`. @default 10000 */
  maxQueueSize?: number;
  /** First reconnect delay, ms (doubles each attempt, plus up to 25 % jitter). @default 500 */
  reconnectDelay?: number;
  /** Longest reconnect delay, ms. @default 30000 */
  maxReconnectDelay?: number;
  /** Longest time from opening the socket to `ready`, ms. @default 10000 */
  connectTimeout?: number;
  /** Random numbers in [0, 1) for jitter and ids. @default Math.random */
  random?: () => number;
}
