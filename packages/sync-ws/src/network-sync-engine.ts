import type { Entity } from "@kalphite/store";
import { backoffDelay, checkWsUrl, resolveSyncConfig, type ResolvedSyncConfig } from "./config";
import { SyncEmitter } from "./emitter";
import { CloseCode, RETRIABLE_WIRE_CODES, SyncError, SyncErrorCode, WireErrorCode, describeError } from "./errors";
import { normalizeChange } from "./normalize-change";
import { PROTOCOL_VERSION, decodeFrame, serverFrameSchema, type ServerChange, type ServerFrame } from "./protocol";
import { ChangeQueue, type QueueEntry } from "./change-queue";
import { StateWriter } from "./state-writer";
import type {
  ChangeMessage,
  ConnectionStatus,
  NetworkSyncEvents,
  ShortChange,
  SyncConfig,
  VectorClock,
  WebSocketLike,
} from "./types";
import { entityKey, joinVersions, localVersion, sameContent, type EntityVersion, type LocalWrite } from "./version";
import { versionFromPayload, payloadFromVersion } from "./wire-version";

/**
 * The connection's phases. `getConnectionStatus()` shows `idle` as
 * "disconnected", `loading`/`opening`/`syncing`/`waiting` as "connecting",
 * `open` as "connected".
 */
type Phase = "idle" | "loading" | "opening" | "syncing" | "open" | "waiting";

/** What moves the connection (`#transition`). */
type ConnectionEvent =
  | { readonly type: "connect" }
  | { readonly type: "loaded" }
  | { readonly type: "load-failed"; readonly error: SyncError }
  | { readonly type: "socket-open" }
  | { readonly type: "ready"; readonly seq: number; readonly maxPayloadBytes: number }
  | { readonly type: "lost"; readonly reason: string; readonly code?: number | undefined; readonly fatal?: SyncError | undefined }
  | { readonly type: "retry" }
  | { readonly type: "disconnect" };

const OPEN = 1;
const RETRY_AFTER_DEFAULT = 1_000;
/** How many acknowledged messageIds the client remembers. */
const RECENTLY_ACKED = 10_000;

/**
 * Entity sync over WebSocket: local changes go to the server with a vector
 * clock, remote ones come back as `remoteChange` events after conflict
 * resolution; offline, changes wait in a durable queue and go out on
 * reconnect. The constructor does no I/O: `connect()` (or the first
 * `sendChange`) loads the storage, `connect()` opens the socket.
 *
 * Events: `connected`, `disconnected` (with a reason), `reconnecting`,
 * `remoteChange`, `conflict`, `ack`, `error`, `status`.
 *
 * Subclasses (`ModernSyncEngine`) may widen the events (`TEvents`) and the
 * config, and override any public method.
 *
 * @example
 * const engine = new NetworkSyncEngine({ wsUrl: server.url, roomId: "team", userId: "ada" });
 * engine.on("remoteChange", (change) => console.log(change.entityId));
 * await engine.connect();
 * await engine.sendChange({ type: "upsert", entityType: "todo", entityId: "t1", entity });
 * await engine.flush(); // acknowledged by the server
 */
export class NetworkSyncEngine<TEvents extends NetworkSyncEvents = NetworkSyncEvents> extends SyncEmitter<TEvents> {
  readonly #config: ResolvedSyncConfig;
  #clientId: string | undefined;
  #cursor = 0;
  /** The room epoch `#cursor` counts in (from `ready`). */
  #epoch: string | undefined;
  readonly #versions = new Map<string, EntityVersion>();
  readonly #queue = new ChangeQueue();
  readonly #writer: StateWriter;
  #loading: Promise<void> | undefined;
  #loaded = false;

  #phase: Phase = "idle";
  /** The status last announced with a `status` event (transitions may nest: a frame handled inside one). */
  #announced: ConnectionStatus = "disconnected";
  #socket: WebSocketLike | undefined;
  #failures = 0;
  #connectWaiters: { resolve: () => void; reject: (error: SyncError) => void }[] = [];
  #serverMaxPayload = Number.POSITIVE_INFINITY;
  #connectTimer: unknown;
  #heartbeatTimer: unknown;
  #livenessTimer: unknown;
  #lastFrameAt = 0;
  #retryTimer: unknown;
  readonly #resendTimers = new Map<string, unknown>();
  /** The last acknowledged messageIds (a caller's retry of one is a no-op). */
  readonly #recentlyAcked = new Set<string>();

  /** @throws SyncError `INVALID_CONFIG` naming the bad option. Opens nothing. */
  constructor(config: SyncConfig) {
    super();
    this.#config = resolveSyncConfig(config);
    this.#writer = new StateWriter(this.#config.storage, this.#config.roomId, (error) =>
      this.#emitError(new SyncError(SyncErrorCode.StorageFailed, `NetworkSyncEngine: writing the sync state failed: ${describeError(error)}`, { cause: error })),
    );
  }

  // ---- public API ----------------------------------------------------------

  /**
   * Loads the persisted state (once), opens the socket, authenticates and
   * catches up; resolves when the connection is live. A failed attempt is
   * retried with backoff up to `reconnectAttempts`; a refused token rejects
   * with `UNAUTHORIZED` at once. Resolves at once when already connected;
   * called while waiting to reconnect, it tries again now (and starts the
   * attempt count over).
   */
  async connect(): Promise<void> {
    checkWsUrl(this.#config.wsUrl);
    if (this.#phase === "open") return;
    const done = new Promise<void>((resolve, reject) => this.#connectWaiters.push({ resolve, reject }));
    // Synchronously "connecting" from here on (loading the storage first when needed);
    // while waiting to retry, it retries now.
    if (this.#phase === "idle" || this.#phase === "waiting") this.#transition({ type: "connect" });
    return done;
  }

  /**
   * Closes the connection (code 1000) and stops reconnecting; pending
   * `connect()` and `flush()` calls reject with `DISCONNECTED`. The queue
   * stays (durably) for the next `connect()`. Resolves when queued writes to
   * storage are done.
   */
  async disconnect(): Promise<void> {
    this.#transition({ type: "disconnect" });
    await this.#writer.idle;
  }

  /**
   * Queues one change: the specification's `ChangeMessage` or the short form
   * `{ type, entityType, entityId, entity? }`. Resolves once it is durably
   * queued (and sent, when connected). Rejects with `INVALID_CHANGE` for bad
   * input and `QUEUE_FULL` when `maxQueueSize` changes wait (nothing is
   * dropped, nothing is applied). A `ChangeMessage` whose `messageId` is
   * queued or was acknowledged lately (the last 10,000) is not applied again.
   */
  async sendChange(change: ChangeMessage | ShortChange): Promise<void> {
    const normalized = normalizeChange(change);
    if (!this.#loaded) await this.init();
    // The same ChangeMessage again (a retry by the caller) is applied once, like on the server.
    const id = normalized.messageId;
    if (id !== undefined && (this.#queue.has(id) || this.#recentlyAcked.has(id))) return;
    // No await before #localWrite once loaded: the change is queued (in order) during this call.
    await this.#localWrite(normalized.write, { messageId: id, extraVector: normalized.vector });
  }

  /** "connected" (live), "connecting" (opening, catching up or waiting to retry) or "disconnected". */
  getConnectionStatus(): ConnectionStatus {
    return statusOf(this.#phase);
  }

  /** How many changes are queued and not yet acknowledged (0 until the storage is loaded). */
  getOfflineQueueSize(): number {
    return this.#queue.size;
  }

  /**
   * Resolves when every change sent or queued before the call has been
   * acknowledged by the server, waiting through reconnects (and, offline,
   * for the next `connect()`). Rejects with `REJECTED` when the server
   * refused one of them, `DISCONNECTED` when `disconnect()` ends a
   * connection (or an attempt) meanwhile, `CONNECT_FAILED` or
   * `UNAUTHORIZED` when the engine gives up.
   */
  async flush(): Promise<void> {
    if (!this.#loaded) await this.init();
    // What is queued now, taken before any await: later changes are not waited for.
    if (this.#queue.size === 0) return this.#writer.idle;
    await this.#queue.whenAcknowledged();
  }

  /**
   * Loads the persisted queue, clocks, cursor and clientId (once; `connect`
   * and `sendChange` call it). Rejects with `STORAGE_FAILED` (and a later
   * call tries again).
   */
  init(): Promise<void> {
    this.#loading ??= this.#load().catch((error: unknown) => {
      this.#loading = undefined;
      throw error instanceof SyncError ? error : new SyncError(SyncErrorCode.StorageFailed, `NetworkSyncEngine: loading the sync state failed: ${describeError(error)}`, { cause: error });
    });
    return this.#loading;
  }

  /** This replica's id (after `init()`; `config.clientId` when given). */
  getClientId(): string | undefined {
    return this.#clientId ?? this.#config.clientId;
  }

  /** The entity as this replica knows it (`undefined` when unknown or deleted). */
  getEntity(entityType: string, entityId: string): Entity | undefined {
    const version = this.#versions.get(entityKey(entityType, entityId));
    return version === undefined || version.deleted ? undefined : version.entity;
  }

  /** The vector clock of the entity's version on this replica (`{}` when unknown). */
  getVectorClock(entityType: string, entityId: string): VectorClock {
    return { ...(this.#versions.get(entityKey(entityType, entityId))?.vector ?? {}) };
  }

  /** The last server sequence of the room this replica has seen. */
  getServerSequence(): number {
    return this.#cursor;
  }

  // ---- loading and persistence ---------------------------------------------

  async #load(): Promise<void> {
    const state = await this.#config.storage.load(this.#config.roomId);
    const clientId = this.#config.clientId ?? state.clientId ?? globalThis.crypto.randomUUID();
    this.#clientId = clientId;
    this.#cursor = state.cursor;
    this.#epoch = state.epoch;
    for (const version of state.versions) this.#versions.set(entityKey(version.entityType, version.entityId), version);
    for (const message of state.queue) {
      const key = entityKey(message.payload.entityType, message.payload.entityId);
      this.#queue.add({ message, key, durable: true, sent: false, everSent: true });
    }
    this.#loaded = true;
    if (state.clientId !== clientId) await this.#writer.stage((write) => (write.clientId = clientId));
  }

  // ---- local writes --------------------------------------------------------

  async #localWrite(write: LocalWrite, options: { messageId?: string | undefined; extraVector?: VectorClock | undefined } = {}): Promise<ChangeMessage> {
    const clientId = this.#clientId!;
    const key = entityKey(write.entityType, write.entityId);
    const replaced = this.#queue.replaceable(key);
    const size = this.#queue.size - (replaced === undefined ? 0 : 1);
    if (size >= this.#config.maxQueueSize) {
      throw new SyncError(SyncErrorCode.QueueFull, `sendChange: the offline queue holds ${this.#queue.size} changes (maxQueueSize ${this.#config.maxQueueSize}); ${write.entityType} "${write.entityId}" was refused and not applied. Wait for flush() or raise maxQueueSize.`, {
        details: { entityType: write.entityType, entityId: write.entityId },
      });
    }
    const messageId = options.messageId ?? globalThis.crypto.randomUUID();
    const now = this.#config.timers.now();
    const version = localVersion(this.#versions.get(key), write, clientId, now, this.#config.strategy, options.extraVector);
    const message: ChangeMessage = {
      type: "change",
      messageId,
      timestamp: now,
      userId: this.#config.userId,
      payload: payloadFromVersion(version, this.#config.strategy === "operational-transform"),
    };
    this.#versions.set(key, version);
    const entry: QueueEntry = { message, key, durable: false, sent: false, everSent: false };
    this.#queue.add(entry, replaced);
    const durable = this.#writer.stage((w) => {
      w.versions.set(key, version);
      if (replaced !== undefined && !w.enqueue.delete(replaced.message.messageId)) w.dequeue.add(replaced.message.messageId);
      w.enqueue.set(messageId, message);
    });
    try {
      await durable;
    } finally {
      entry.durable = true;
      if (this.#phase === "open" && this.#queue.get(messageId) === entry && !entry.sent) this.#sendEntry(entry);
    }
    return message;
  }

  // ---- the connection ------------------------------------------------------

  /*
   * The connection, one transition function:
   *
   *            connect()                storage         socket open           ready frame
   *   ┌──────┐ ─────────▶ ┌─────────┐   loaded   ┌─────────┐ ─────────▶ ┌─────────┐ ─────────▶ ┌──────┐
   *   │ idle │            │ loading │ ─────────▶ │ opening │ (send auth)│ syncing │ (catch-up) │ open │
   *   └──────┘ ◀───────── └─────────┘            └─────────┘            └─────────┘            └──────┘
   *     ▲  ▲   load failed                         ▲    │ lost             │ lost                │ lost: closed,
   *     │  │                          retry timer  │    ▼                  ▼                     │ error, heartbeat
   *     │  │                                     ┌─────────┐ ◀─────────────┴─────────────────────┘ timeout
   *     │  └──── failures > reconnectAttempts,   │ waiting │   (failures ≤ reconnectAttempts: backoff)
   *     │        refused token (4001 / 4003) ─── └─────────┘
   *     └─────── disconnect() from any phase (close 1000)      connect() while waiting: retry now
   *
   * idle → "disconnected"; loading, opening, syncing, waiting → "connecting"; open → "connected".
   */
  #transition(event: ConnectionEvent): void {
    const before = this.#phase;
    switch (event.type) {
      case "connect": {
        if (before !== "idle" && before !== "waiting") return;
        this.#failures = 0;
        if (before === "waiting") {
          this.#config.timers.clearTimeout(this.#retryTimer);
          this.#retryTimer = undefined;
        }
        if (this.#loaded) {
          this.#open();
          break;
        }
        this.#phase = "loading";
        this.init().then(
          () => this.#transition({ type: "loaded" }),
          (error: unknown) => this.#transition({ type: "load-failed", error: error as SyncError }),
        );
        break;
      }
      case "loaded": {
        if (before !== "loading") return; // disconnect() meanwhile
        this.#open();
        break;
      }
      case "load-failed": {
        if (before !== "loading") return;
        this.#stop(event.error, `loading the sync state failed: ${event.error.message}`, undefined);
        break;
      }
      case "retry": {
        if (before !== "waiting") return;
        this.#open();
        break;
      }
      case "socket-open": {
        if (before !== "opening") return;
        this.#phase = "syncing";
        this.#sendFrame({
          type: "auth",
          roomId: this.#config.roomId,
          userId: this.#config.userId,
          clientId: this.#clientId,
          ...(this.#config.authToken === undefined ? {} : { token: this.#config.authToken }),
          since: this.#cursor,
          ...(this.#epoch === undefined ? {} : { epoch: this.#epoch }),
          heartbeatInterval: this.#config.heartbeatInterval,
          protocol: PROTOCOL_VERSION,
        });
        break;
      }
      case "ready": {
        if (before !== "syncing") return;
        this.#phase = "open";
        this.#failures = 0;
        this.#serverMaxPayload = event.maxPayloadBytes;
        this.#clearTimer("connect");
        this.#armHeartbeat();
        for (const entry of this.#queue.entries()) if (entry.durable) this.#sendEntry(entry);
        for (const waiter of this.#connectWaiters.splice(0)) waiter.resolve();
        this.emit("connected", { clientId: this.#clientId!, roomId: this.#config.roomId, seq: this.#cursor } as TEvents["connected"]);
        break;
      }
      case "lost": {
        if (before === "idle" || before === "waiting" || before === "loading") return;
        this.#dropSocket(undefined);
        this.#failures++;
        const exhausted = this.#failures > this.#config.reconnectAttempts;
        const fatal =
          event.fatal ??
          (exhausted
            ? new SyncError(SyncErrorCode.ConnectFailed, `NetworkSyncEngine: gave up after ${this.#failures} failed attempt(s) to reach ${this.#config.wsUrl} (last: ${event.reason})`, {
                details: { closeCode: event.code, attempts: this.#failures },
              })
            : undefined);
        if (fatal !== undefined) {
          this.#stop(fatal, exhausted && event.fatal === undefined ? fatal.message : event.reason, event.code);
          break;
        }
        this.#phase = "waiting";
        const delayMs = backoffDelay(this.#failures, this.#config.reconnectDelay, this.#config.maxReconnectDelay, this.#config.random);
        this.#retryTimer = this.#config.timers.setTimeout(() => {
          this.#retryTimer = undefined;
          this.#transition({ type: "retry" });
        }, delayMs);
        if (before === "open") this.emit("disconnected", { reason: event.reason, ...(event.code === undefined ? {} : { code: event.code }), willReconnect: true } as TEvents["disconnected"]);
        this.emit("reconnecting", { attempt: this.#failures, delayMs } as TEvents["reconnecting"]);
        break;
      }
      case "disconnect": {
        if (before === "idle") return;
        this.#dropSocket(CloseCode.Normal);
        this.#stop(new SyncError(SyncErrorCode.Disconnected, "NetworkSyncEngine: disconnect() was called"), "disconnect() was called", CloseCode.Normal, true);
        break;
      }
    }
    const status = statusOf(this.#phase);
    if (status !== this.#announced) {
      this.#announced = status;
      this.emit("status", status as TEvents["status"]);
    }
  }

  /** To idle: timers off, waiters rejected, `disconnected` (and `error`, unless asked for) emitted. */
  #stop(error: SyncError, reason: string, code: number | undefined, requested = false): void {
    this.#phase = "idle";
    this.#clearTimer("all");
    for (const waiter of this.#connectWaiters.splice(0)) waiter.reject(error);
    this.#queue.rejectWaiters(error);
    if (!requested) this.#emitError(error);
    this.emit("disconnected", { reason, ...(code === undefined ? {} : { code }), willReconnect: false, ...(requested ? {} : { error }) } as TEvents["disconnected"]);
  }

  #open(): void {
    this.#phase = "opening";
    this.#queue.resetSent();
    let socket: WebSocketLike;
    try {
      socket = new this.#config.WebSocket(this.#config.wsUrl);
    } catch (error) {
      this.#phase = "opening";
      queueMicrotask(() => this.#transition({ type: "lost", reason: `could not open the socket: ${describeError(error)}` }));
      return;
    }
    this.#socket = socket;
    this.#connectTimer = this.#config.timers.setTimeout(() => {
      this.#connectTimer = undefined;
      this.#transition({
        type: "lost",
        reason: `not ready within ${this.#config.connectTimeout} ms`,
      });
    }, this.#config.connectTimeout);
    socket.onopen = () => {
      if (this.#socket === socket) this.#transition({ type: "socket-open" });
    };
    socket.onmessage = (event) => {
      if (this.#socket === socket) this.#onFrame(event.data);
    };
    socket.onerror = () => {
      // `close` follows with the code; nothing to do here.
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      this.#transition({ type: "lost", reason: closeReason(event.code, event.reason), code: event.code, fatal: fatalClose(event.code, event.reason) });
    };
  }

  /** Forgets the current socket (closing it with `code`, or terminating it) and stops its timers. */
  #dropSocket(code: number | undefined): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#clearTimer("connection");
    if (socket === undefined) return;
    socket.onopen = socket.onmessage = socket.onclose = null;
    // Keep a no-op error handler: `ws` emits "closed before the connection was
    // established" when a connecting socket is terminated, and an EventEmitter
    // error with no listener would crash the process.
    socket.onerror = () => {};
    try {
      const terminate = (socket as { terminate?: () => void }).terminate;
      if (code === undefined && typeof terminate === "function") terminate.call(socket);
      else socket.close(code ?? CloseCode.Normal);
    } catch {
      // A socket that cannot close is gone anyway.
    }
  }

  #clearTimer(which: "connect" | "connection" | "all"): void {
    const clear = (handle: unknown) => {
      if (handle !== undefined) this.#config.timers.clearTimeout(handle);
    };
    clear(this.#connectTimer);
    this.#connectTimer = undefined;
    if (which === "connect") return;
    clear(this.#heartbeatTimer);
    clear(this.#livenessTimer);
    this.#heartbeatTimer = this.#livenessTimer = undefined;
    for (const handle of this.#resendTimers.values()) clear(handle);
    this.#resendTimers.clear();
    if (which === "connection") return;
    clear(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  /** Sends a heartbeat every interval and declares the server dead after two silent ones. */
  #armHeartbeat(): void {
    const interval = this.#config.heartbeatInterval;
    const beat = () => {
      this.#heartbeatTimer = this.#config.timers.setTimeout(() => {
        this.#sendFrame({ type: "heartbeat", timestamp: this.#config.timers.now() });
        beat();
      }, interval);
    };
    beat();
    this.#armLiveness();
  }

  /**
   * Declares the server dead two heartbeat intervals after its last frame.
   * A frame only records its time; the one timer re-arms itself for the
   * time left when frames came meanwhile (no timer churn per frame).
   */
  #armLiveness(): void {
    const limit = 2 * this.#config.heartbeatInterval;
    this.#lastFrameAt = this.#config.timers.now();
    const check = (wait: number) => {
      this.#livenessTimer = this.#config.timers.setTimeout(() => {
        this.#livenessTimer = undefined;
        const left = this.#lastFrameAt + limit - this.#config.timers.now();
        if (left > 0) check(left);
        else this.#transition({ type: "lost", reason: `heartbeat timeout: no frame from the server for ${limit} ms` });
      }, wait);
    };
    check(limit);
  }

  #sendFrame(frame: object): void {
    const socket = this.#socket;
    if (socket === undefined || socket.readyState !== OPEN) return;
    try {
      socket.send(JSON.stringify(frame));
    } catch (error) {
      this.#transition({ type: "lost", reason: `send failed: ${describeError(error)}` });
    }
  }

  #sendEntry(entry: QueueEntry): void {
    const text = JSON.stringify(entry.message);
    const size = text.length * 3 > this.#serverMaxPayload ? encoder.encode(text).length : 0;
    if (size > this.#serverMaxPayload) {
      this.#refuse(entry.message.messageId, new SyncError(SyncErrorCode.Rejected, `change ${entry.message.messageId} (${entry.message.payload.entityType} "${entry.message.payload.entityId}") is ${size} bytes, more than the server's maxPayloadBytes ${this.#serverMaxPayload}; it was removed from the queue`, {
        details: { messageId: entry.message.messageId, change: entry.message },
      }));
      return;
    }
    this.#queue.markSent(entry);
    const socket = this.#socket;
    if (socket === undefined || socket.readyState !== OPEN) return;
    try {
      socket.send(text);
    } catch (error) {
      this.#transition({ type: "lost", reason: `send failed: ${describeError(error)}` });
    }
  }

  // ---- frames from the server ----------------------------------------------

  #onFrame(data: unknown): void {
    this.#lastFrameAt = this.#config.timers.now();
    const decoded = decodeFrame(serverFrameSchema, data);
    if (!decoded.ok) {
      this.#emitError(new SyncError(SyncErrorCode.ProtocolError, `NetworkSyncEngine: the server sent an invalid frame (${decoded.message}); ignored`));
      return;
    }
    this.handleFrame(decoded.frame);
  }

  /** Handles one validated frame from the server. Subclasses may override it (call `super`). */
  protected handleFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case "catch-up": {
        for (const change of frame.changes) this.#applyRemote({ ...change, type: "change" });
        break;
      }
      case "change": {
        if (this.#phase === "open" || this.#phase === "syncing") this.#applyRemote(frame);
        break;
      }
      case "ready": {
        if (frame.epoch !== this.#epoch) {
          // Another sequence (a new or rebuilt room): the catch-up just received was complete; count from its end.
          this.#epoch = frame.epoch;
          this.#cursor = frame.seq;
          this.#writer.later((write) => {
            write.epoch = frame.epoch;
            write.cursor = frame.seq;
          });
        }
        this.#advanceCursor(frame.seq);
        this.#transition({ type: "ready", seq: frame.seq, maxPayloadBytes: frame.maxPayloadBytes });
        break;
      }
      case "ack": {
        this.#acknowledge(frame.messageId, frame.payload.seq);
        break;
      }
      case "error": {
        this.#onErrorFrame(frame);
        break;
      }
      case "heartbeat":
        break;
    }
  }

  #advanceCursor(seq: number): void {
    if (seq <= this.#cursor) return;
    this.#cursor = seq;
    this.#writer.later((write) => (write.cursor = seq));
  }

  #acknowledge(messageId: string, seq: number): void {
    this.#advanceCursor(seq);
    if (this.#queue.remove(messageId) === undefined) return;
    this.#writer.dequeue(messageId);
    this.#recentlyAcked.add(messageId);
    if (this.#recentlyAcked.size > RECENTLY_ACKED) this.#recentlyAcked.delete(this.#recentlyAcked.values().next().value!);
    this.emit("ack", { messageId, seq } as TEvents["ack"]);
  }

  /** A change the server (or the payload limit) refuses for good: out of the queue, reported. */
  #refuse(messageId: string, error: SyncError): void {
    if (!this.#queue.has(messageId)) return;
    this.#writer.dequeue(messageId);
    this.#emitError(error);
    this.#queue.remove(messageId, error);
  }

  #onErrorFrame(frame: Extract<ServerFrame, { type: "error" }>): void {
    const { messageId } = frame;
    // The close that follows (4001, 4002) says it, with the error `connect()` rejects with.
    if (frame.code === WireErrorCode.Unauthorized || frame.code === WireErrorCode.NotAuthenticated) return;
    if (messageId !== undefined && this.#queue.has(messageId)) {
      if (RETRIABLE_WIRE_CODES.has(frame.code)) {
        const delay = frame.retryAfterMs ?? RETRY_AFTER_DEFAULT;
        if (this.#resendTimers.has(messageId)) return;
        this.#resendTimers.set(
          messageId,
          this.#config.timers.setTimeout(() => {
            this.#resendTimers.delete(messageId);
            const entry = this.#queue.get(messageId);
            if (entry !== undefined && this.#phase === "open") this.#sendEntry(entry);
          }, delay),
        );
        return;
      }
      this.#refuse(messageId, new SyncError(SyncErrorCode.Rejected, `the server refused change ${messageId}: ${frame.code}: ${frame.message}`, { details: { messageId, wire: frame, change: this.#queue.get(messageId)?.message } }));
      return;
    }
    this.#emitError(new SyncError(SyncErrorCode.ServerError, `the server reported ${frame.code}: ${frame.message}`, { details: { wire: frame } }));
  }

  /** Merges a version from the server into this replica: events, conflicts, persistence. */
  #applyRemote(change: ServerChange): void {
    this.#advanceCursor(change.seq);
    let remote: EntityVersion;
    try {
      remote = versionFromPayload(change.payload, change.clientId);
    } catch (error) {
      this.#emitError(new SyncError(SyncErrorCode.ProtocolError, `the server sent an invalid change ${change.messageId}: ${describeError(error)}`));
      return;
    }
    const key = entityKey(remote.entityType, remote.entityId);
    const local = this.#versions.get(key);
    const { version, concurrent } = local === undefined ? { version: remote, concurrent: false } : joinVersions(local, remote, this.#config.strategy);
    if (version === local) return;
    this.#versions.set(key, version);
    this.#writer.later((write) => write.versions.set(key, version));
    if (!sameContent(local, version)) {
      this.emit("remoteChange", {
        type: version.deleted ? "delete" : "upsert",
        entityType: version.entityType,
        entityId: version.entityId,
        ...(version.entity === undefined ? {} : { entity: version.entity }),
        timestamp: change.timestamp,
        userId: change.userId,
        operationId: change.messageId,
        clientId: change.clientId,
      } as TEvents["remoteChange"]);
    }
    if (concurrent && local !== undefined) this.#onConflict(key, local, remote, version);
  }

  #onConflict(key: string, local: EntityVersion, remote: EntityVersion, resolved: EntityVersion): void {
    const strategy = this.#config.strategy;
    const view = (v: EntityVersion) => (v.deleted ? undefined : v.entity);
    const ownEditCollided = this.#queue.hasKey(key);
    const manual = strategy === "manual" && ownEditCollided;
    const resolve = async (entity: Entity): Promise<void> => {
      const normalized = normalizeChange({ type: "upsert", entityType: resolved.entityType, entityId: resolved.entityId, entity });
      const message = await this.#localWrite(normalized.write);
      const written = this.#versions.get(key);
      this.emit("remoteChange", {
        type: "upsert",
        entityType: resolved.entityType,
        entityId: resolved.entityId,
        ...(written?.entity === undefined ? {} : { entity: written.entity }),
        timestamp: message.timestamp,
        userId: this.#config.userId,
        operationId: message.messageId,
        clientId: this.#clientId!,
      } as TEvents["remoteChange"]);
    };
    const localEntity = view(local);
    const remoteEntity = view(remote);
    const resolver = this.#config.resolver;
    if (manual && resolver !== undefined && localEntity !== undefined && remoteEntity !== undefined) {
      this.emit("conflict", { entityType: resolved.entityType, entityId: resolved.entityId, strategy, local: localEntity, remote: remoteEntity, resolved: view(resolved) } as TEvents["conflict"]);
      let chosen: Entity;
      try {
        chosen = resolver(localEntity, remoteEntity);
      } catch (error) {
        this.#emitError(new SyncError(SyncErrorCode.InvalidChange, `conflictResolution.resolver threw for ${resolved.entityType} "${resolved.entityId}": ${describeError(error)}; the provisional last-write-wins result stays`, { cause: error }));
        return;
      }
      resolve(chosen).catch((error: unknown) => this.#emitError(asSyncError(error)));
      return;
    }
    this.emit("conflict", {
      entityType: resolved.entityType,
      entityId: resolved.entityId,
      strategy,
      local: localEntity,
      remote: remoteEntity,
      resolved: view(resolved),
      ...(manual ? { resolve } : {}),
    } as TEvents["conflict"]);
  }

  #emitError(error: SyncError): void {
    this.emit("error", error as TEvents["error"]);
  }

  /** Whether the persisted state is loaded. */
  protected get loaded(): boolean {
    return this.#loaded;
  }
}

function statusOf(phase: Phase): ConnectionStatus {
  return phase === "idle" ? "disconnected" : phase === "open" ? "connected" : "connecting";
}

function closeReason(code: number, reason: string): string {
  return `connection closed (${code}${reason ? ` ${reason}` : ""})`;
}

/** Close codes after which retrying cannot help. */
function fatalClose(code: number, reason: string): SyncError | undefined {
  if (code === CloseCode.Unauthorized) {
    return new SyncError(SyncErrorCode.Unauthorized, `the server refused the token (close ${code}${reason ? `: ${reason}` : ""}); not retrying`, { details: { closeCode: code } });
  }
  if (code === CloseCode.BadAuth) {
    return new SyncError(SyncErrorCode.Unauthorized, `the server refused the auth frame (close ${code}${reason ? `: ${reason}` : ""}); not retrying`, { details: { closeCode: code } });
  }
  return undefined;
}

function asSyncError(error: unknown): SyncError {
  return error instanceof SyncError ? error : new SyncError(SyncErrorCode.InvalidChange, describeError(error), { cause: error });
}

const encoder = new TextEncoder();

