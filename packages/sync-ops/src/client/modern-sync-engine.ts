import {
  NetworkSyncEngine,
  type ChangeMessage,
  type ConnectionStatus,
  type NetworkSyncEvents,
  type ShortChange,
  type SyncConfig,
} from "@kalphite/sync-ws";
import { SyncOpsError, SyncOpsErrorCode, messageOf } from "../errors";
import { toStorableJson } from "../json-data";
import type {
  ConfirmedOperation,
  DeletedEntity,
  NotificationMessage,
  OperationConfirmation,
  PendingOperation,
  PushResponse,
  StatePatch,
  StateSyncRequest,
  StateSyncResponse,
} from "../types";
import { describeZodError, pushResponseSchema, stateResponseSchema } from "../wire";
import { backoff } from "./backoff";
import { resolveModernConfig, type ModernSyncEngineConfig, type ResolvedModernConfig } from "./config";
import { compareVersions, isRetriable, normalizeChange, parseNotification, patchContent, toSyncError } from "./engine-helpers";
import { HttpRequestError } from "./fetch-http-client";
import { NotificationChannel } from "./notification-channel";
import { OperationQueue, type QueueEntry } from "./operation-queue";

/** Payload of `operationFailed`: the operation and the server's (or the engine's) message. Final. */
export interface OperationFailedEvent {
  operation: PendingOperation;
  error: string;
}

/** Payload of `presence`: another client's notification connection opened or closed. */
export interface PresenceEvent {
  clientId: string;
  userId?: string;
  connected: boolean;
}

/** The events of `ModernSyncEngine`: those of `NetworkSyncEngine` and the operation ones. */
export interface ModernSyncEvents extends NetworkSyncEvents {
  statePatch: StatePatch;
  operationConfirmed: ConfirmedOperation;
  operationFailed: OperationFailedEvent;
  notification: NotificationMessage;
  presence: PresenceEvent;
}

/**
 * The engine's phases (`getConnectionStatus()` names them):
 *
 * ```
 *            connect()               a pull or push succeeded
 *  idle ───────────────▶ connecting ─────────────────────────▶ connected
 *   ▲                      ▲    ▲                                   │
 *   │ disconnect()         │    └──── a request failed (network, ───┘
 *   └──────────────────────┴───────── 5xx, 401): retry with backoff
 * ```
 */
type Phase = "idle" | "connecting" | "connected";
type PhaseEvent = "connect" | "request-ok" | "request-failed" | "disconnect";

interface FlushWaiter {
  readonly entries: Set<QueueEntry>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Operation-based sync: named operations are queued durably and pushed over
 * HTTP in batches (`POST /sync/operations`), the server's state is pulled by
 * version (`POST /sync/state`), and WebSocket or SSE notifications say when
 * to pull. The server applies each operation exactly once, in id order; a
 * push whose answer was lost is confirmed by the next pull.
 *
 * Events (`on(event, fn)` returns the unsubscribe function): `statePatch`,
 * `operationConfirmed`, `operationFailed`, `remoteChange`, `notification`,
 * `presence`, `status`, `connected`, `disconnected`, `reconnecting`, `error`.
 *
 * @example
 * const engine = new ModernSyncEngine({ baseUrl: server.url, notificationUrl: `${wsUrl}/sync/notify`, clientId: "laptop-1", userId: "ada" });
 * engine.onStatePatch((patch) => console.log(patch.stateVersion, patch.entities));
 * await engine.connect();
 * await engine.executeOperation("addTodo", ["t1", "Buy milk"]);
 * await engine.flush(); // confirmed by the server
 */
export class ModernSyncEngine extends NetworkSyncEngine<ModernSyncEvents> {
  readonly #c: ResolvedModernConfig;
  readonly #queue: OperationQueue;
  #loading: Promise<void> | undefined;
  #loaded = false;
  #stateVersion = "";
  #lastSyncTimestamp = 0;
  #phase: Phase = "idle";
  /** A pull succeeded this session: the server's last id for this client is known, so pushing is safe. */
  #handshake = false;
  #pushing: Promise<void> | undefined;
  #pushAgain = false;
  #pushAttempt = 0;
  #pushTimer: unknown;
  #batchLimit: number;
  /** After a refused batch: the smaller batches go on until the head passes this id. */
  #probeUntil = 0;
  #pullRunning: Promise<void> | undefined;
  #pullNext: Promise<void> | undefined;
  #pullAttempt = 0;
  #pullRetryTimer: unknown;
  #periodicTimer: unknown;
  #channel: NotificationChannel | undefined;
  #channelOpened: (() => void) | undefined;
  readonly #waiters = new Map<QueueEntry, () => void>();
  readonly #inFlight = new Set<QueueEntry>();
  readonly #flushWaiters = new Set<FlushWaiter>();
  /** Entities delivered by pulls in this process, to tell a `reset` consumer what to remove. */
  readonly #known = new Map<string, DeletedEntity>();
  readonly #presence = new Set<string>();
  #closed = false;
  /** Bumped by connect() and disconnect(): a connect() still loading storage gives way to a later call. */
  #connectRequests = 0;

  /** @throws SyncOpsError `INVALID_ARGUMENT` naming the bad option. Opens nothing and reads nothing. */
  constructor(config: ModernSyncEngineConfig) {
    const resolved = resolveModernConfig(config);
    // The base engine gets the same WebSocket, so nothing falls back to `ws` in a browser.
    const base: SyncConfig = {
      wsUrl: config.notificationUrl ?? "",
      roomId: "default",
      userId: resolved.userId,
      WebSocket: resolved.WebSocket as unknown as NonNullable<SyncConfig["WebSocket"]>,
    };
    super(base);
    this.#c = resolved;
    this.#batchLimit = resolved.batchSize;
    this.#queue = new OperationQueue(resolved.storage, resolved.clientId, (error) => this.#reportError(error));
  }

  // ---- operations ------------------------------------------------------------

  /**
   * Queues the operation `name(...args)` with the next id. Resolves once it is
   * in storage and, when connected, once the push carrying it was answered
   * (or failed and is being retried). The outcome arrives through
   * `onOperationConfirmed` / `onOperationFailed`. Rejects with
   * `INVALID_ARGUMENT` (bad name, args that are not JSON data), `QUEUE_FULL`
   * (`offlineQueueLimit` operations wait; nothing is dropped) or
   * `STORAGE_FAILED`.
   */
  async executeOperation(name: string, args: any[]): Promise<void> {
    this.#checkOpen();
    if (typeof name !== "string" || name === "" || name.length > 200) {
      throw new SyncOpsError(SyncOpsErrorCode.InvalidArgument, `executeOperation(name, args): name must be a non-empty string of at most 200 characters`);
    }
    if (!Array.isArray(args)) throw new SyncOpsError(SyncOpsErrorCode.InvalidArgument, `executeOperation(${JSON.stringify(name)}, args): args must be an array`);
    let copy: unknown[];
    try {
      copy = toStorableJson(args, `executeOperation(${JSON.stringify(name)}): args`) as unknown[];
    } catch (error) {
      throw new SyncOpsError(SyncOpsErrorCode.InvalidArgument, messageOf(error));
    }
    await this.#load();
    if (this.#queue.size >= this.#c.offlineQueueLimit) {
      throw new SyncOpsError(SyncOpsErrorCode.QueueFull, `${this.#queue.size} operations wait for the server (offlineQueueLimit ${this.#c.offlineQueueLimit}); "${name}" was not queued`);
    }
    const { entry, durable } = this.#queue.add(name, copy, this.#c.timers.now());
    await durable;
    if (this.#phase === "idle" || entry.settled) return;
    const answered = new Promise<void>((resolve) => this.#waiters.set(entry, resolve));
    this.#kickPush();
    if (this.#pushTimer !== undefined) this.#release(); // in backoff: do not hold the caller
    await answered;
  }

  /** Every operation not yet confirmed or refused, in id order. */
  getPendingOperations(): PendingOperation[] {
    return this.#queue.entries().map((e) => ({ ...e.op }));
  }

  /** The pending operations not in a push right now (offline, waiting to retry, or behind the current batch). */
  getQueuedOperations(): PendingOperation[] {
    const inFlight = this.#inFlight;
    return this.#queue.entries().filter((e) => !inFlight.has(e)).map((e) => ({ ...e.op }));
  }

  /** The state version last applied ("" before the first pull). */
  getCurrentStateVersion(): string {
    return this.#stateVersion;
  }

  /** This client's id (`config.clientId`). */
  override getClientId(): string {
    return this.#c.clientId;
  }

  /** Client ids whose notification connections are open (as this engine heard). */
  getConnectedClients(): string[] {
    return [...this.#presence];
  }

  /** Replaces the bearer token (used from the next request and the next notification (re)connection on). */
  setAuthToken(token: string | undefined): void {
    this.#c.authToken = token;
  }

  /**
   * Legacy path: a change becomes the operation `upsert<entityType>(entityId,
   * entity)` or `delete<entityType>(entityId)`, which the server serves
   * built in.
   */
  override async sendChange(change: ChangeMessage | ShortChange): Promise<void> {
    const short = normalizeChange(change);
    if (short.type === "upsert") return this.executeOperation(`upsert${short.entityType}`, [short.entityId, short.entity]);
    return this.executeOperation(`delete${short.entityType}`, [short.entityId]);
  }

  // ---- events ----------------------------------------------------------------

  /** Calls `handler` with every applied pull. @returns unsubscribe */
  onStatePatch(handler: (patch: StatePatch) => void): () => void {
    return this.on("statePatch", handler);
  }

  /** Calls `handler` when the server confirms one of this client's operations. @returns unsubscribe */
  onOperationConfirmed(handler: (op: ConfirmedOperation) => void): () => void {
    return this.on("operationConfirmed", handler);
  }

  /** Calls `handler` when the server refuses one (final). @returns unsubscribe */
  onOperationFailed(handler: (data: OperationFailedEvent) => void): () => void {
    return this.on("operationFailed", handler);
  }

  // ---- connection ------------------------------------------------------------

  /**
   * Goes online: pulls (which also confirms operations a lost push answer
   * left pending), opens the notification connection, pushes the queue and
   * pulls every `pullInterval`. Resolves after the first pull and the first
   * notification connection attempt, whether they succeeded or not (failures
   * are retried with backoff and reported as `error` events).
   */
  override async connect(): Promise<void> {
    this.#checkOpen();
    const requested = ++this.#connectRequests;
    await this.#load();
    // A disconnect() (or a newer connect()) while storage was loading wins.
    if (requested !== this.#connectRequests || this.#phase !== "idle") return;
    this.#transition("connect");
    const opened = this.#startChannel();
    this.#schedulePeriodicPull();
    await Promise.all([this.syncState().catch(() => undefined), opened]);
  }

  /** Goes offline: closes notifications, stops retries and timers; `flush()` calls waiting reject with `DISCONNECTED`. The queue stays. */
  override async disconnect(): Promise<void> {
    this.#connectRequests++;
    this.#transition("disconnect");
    await this.#queue.idle();
  }

  /** Disconnects and waits for storage writes (closing the storage only when it is the default one); the engine cannot be used again. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.disconnect();
    await this.#pushing?.catch(() => undefined);
    this.#closed = true;
    await this.#queue.idle();
    if (this.#c.ownsStorage) await this.#c.storage.close();
  }

  /** "connected" (the last request succeeded), "connecting" (retrying) or "disconnected" (never connected, or disconnected). */
  override getConnectionStatus(): ConnectionStatus {
    return this.#phase === "idle" ? "disconnected" : this.#phase;
  }

  /** How many operations wait for the server's answer. */
  override getOfflineQueueSize(): number {
    return this.#queue.size;
  }

  /**
   * Resolves when every operation queued before the call was confirmed or
   * refused, pushing now (also when not connected) and retrying through
   * failures. Rejects with `DISCONNECTED` when `disconnect()` is called
   * meanwhile, `CLOSED` after `close()`.
   */
  override async flush(): Promise<void> {
    this.#checkOpen();
    await this.#load();
    await this.#queue.idle();
    const entries = new Set(this.#queue.entries());
    if (entries.size === 0) return;
    const done = new Promise<void>((resolve, reject) => this.#flushWaiters.add({ entries, resolve, reject }));
    if (!this.#handshake) void this.syncState().catch(() => undefined);
    else this.#kickPush();
    return done;
  }

  #transition(event: PhaseEvent): void {
    const before = this.#phase;
    switch (event) {
      case "connect":
        this.#phase = "connecting";
        break;
      case "request-ok":
        if (this.#phase !== "idle") this.#phase = "connected";
        break;
      case "request-failed":
        if (this.#phase === "connected") this.#phase = "connecting";
        break;
      case "disconnect":
        this.#phase = "idle";
        this.#handshake = false;
        this.#channel?.stop();
        this.#channel = undefined;
        this.#channelOpened?.();
        for (const timer of [this.#pushTimer, this.#pullRetryTimer, this.#periodicTimer]) if (timer !== undefined) this.#c.timers.clearTimeout(timer);
        this.#pushTimer = this.#pullRetryTimer = this.#periodicTimer = undefined;
        this.#pushAttempt = this.#pullAttempt = 0;
        this.#release();
        for (const waiter of this.#flushWaiters) waiter.reject(new SyncOpsError(SyncOpsErrorCode.Closed, "disconnect() was called while flush() waited"));
        this.#flushWaiters.clear();
        this.#presence.clear();
        break;
    }
    if (before === this.#phase) return;
    const status = this.getConnectionStatus();
    this.emit("status", status);
    if (this.#phase === "connected") this.emit("connected", { clientId: this.#c.clientId, roomId: "default", seq: Number(this.#stateVersion) || 0 });
    if (this.#phase === "idle") this.emit("disconnected", { reason: "disconnect() was called", willReconnect: false });
  }

  #checkOpen(): void {
    if (this.#closed) throw new SyncOpsError(SyncOpsErrorCode.Closed, "this ModernSyncEngine was closed");
  }

  #load(): Promise<void> {
    this.#loading ??= (async () => {
      const values = await this.#queue.load();
      this.#stateVersion = values[this.#c.stateVersionKey] ?? "";
      this.#loaded = true;
    })().catch((error: unknown) => {
      this.#loading = undefined;
      throw new SyncOpsError(SyncOpsErrorCode.StorageFailed, `loading pending operations failed: ${messageOf(error)}`, { cause: error });
    });
    return this.#loading;
  }

  #headers(): Record<string, string> {
    return this.#c.authToken === undefined ? {} : { authorization: `Bearer ${this.#c.authToken}` };
  }

  #reportError(error: unknown): void {
    this.emit("error", toSyncError(error));
  }

  // ---- push ------------------------------------------------------------------

  #kickPush(): void {
    if (!this.#loaded || this.#closed || !this.#handshake) return;
    if (this.#phase === "idle" && this.#flushWaiters.size === 0) return;
    if (this.#pushTimer !== undefined) return; // waiting out a backoff
    if (this.#pushing) {
      this.#pushAgain = true;
      return;
    }
    this.#pushing = this.#pushLoop().finally(() => {
      this.#pushing = undefined;
      if (this.#pushAgain) {
        this.#pushAgain = false;
        this.#kickPush();
      }
    });
  }

  async #pushLoop(): Promise<void> {
    for (;;) {
      this.#pushAgain = false;
      const batch = this.#queue.head(this.#batchLimit);
      if (batch.length === 0) return;
      if (!this.#handshake || (this.#phase === "idle" && this.#flushWaiters.size === 0)) return;
      const operations = batch.map((e) => e.op);
      for (const e of batch) this.#inFlight.add(e);
      let response: PushResponse;
      try {
        const raw = await this.#c.http.post<{ operations: PendingOperation[] }, unknown>(this.#c.operationsUrl, { operations }, { headers: this.#headers(), timeout: this.#c.requestTimeout, retries: 0 });
        const parsed = pushResponseSchema.safeParse(raw);
        if (!parsed.success) throw new SyncOpsError(SyncOpsErrorCode.ProtocolError, `the push answer does not match the protocol: ${describeZodError(parsed.error)}`);
        response = parsed.data as PushResponse;
      } catch (error) {
        for (const e of batch) this.#inFlight.delete(e);
        if (!isRetriable(error)) {
          this.#refuseWholeBatch(batch, error);
          continue;
        }
        this.#transition("request-failed");
        this.#reportError(error);
        this.#release();
        this.#schedulePushRetry();
        return;
      }
      for (const e of batch) this.#inFlight.delete(e);
      this.#pushAttempt = 0;
      if ((batch.at(-1) as QueueEntry).op.id >= this.#probeUntil) this.#batchLimit = this.#c.batchSize;
      this.#transition("request-ok");
      this.#handleConfirmations(response.confirmations);
      // Settled by this answer, or already by an operation_confirmed notification or a pull that overtook it.
      let progressed = batch.some((e) => e.settled);
      const gap = response.gaps?.find((g) => g.clientId === this.#c.clientId);
      const first = this.#queue.entries()[0];
      if (gap && first && gap.expectedOperationId < first.op.id) {
        // The server never saw ids from expectedOperationId on: our storage was behind it.
        this.#queue.renumber(gap.expectedOperationId);
        progressed = true;
      }
      for (const e of batch) this.#resolveWaiter(e);
      if (!progressed) {
        this.#reportError(new SyncOpsError(SyncOpsErrorCode.ProtocolError, "the server answered a push without confirming any of its operations"));
        this.#schedulePushRetry();
        return;
      }
    }
  }

  /** A 4xx other than 401/404: the body itself was refused. Halve the batch; a single operation is refused for good. */
  #refuseWholeBatch(batch: QueueEntry[], error: unknown): void {
    if (batch.length > 1) {
      this.#batchLimit = Math.max(1, Math.floor(batch.length / 2));
      this.#probeUntil = Math.max(this.#probeUntil, (batch.at(-1) as QueueEntry).op.id);
      return;
    }
    // The culprit is found: back to full batches.
    this.#batchLimit = this.#c.batchSize;
    this.#probeUntil = 0;
    const entry = batch[0] as QueueEntry;
    const message = error instanceof HttpRequestError ? error.message : messageOf(error);
    const id = entry.op.id;
    this.#queue.settle([entry]);
    // The server never applied this id: the operations after it take the ids from it on.
    this.#queue.renumber(id);
    this.#resolveWaiter(entry);
    this.#emitFailed(entry, message);
  }

  #schedulePushRetry(): void {
    const delay = backoff(this.#pushAttempt++, this.#c.retryDelay, this.#c.maxRetryDelay, this.#c.random);
    this.emit("reconnecting", { attempt: this.#pushAttempt, delayMs: delay });
    this.#pushTimer = this.#c.timers.setTimeout(() => {
      this.#pushTimer = undefined;
      this.#kickPush();
    }, delay);
  }

  #handleConfirmations(confirmations: readonly OperationConfirmation[]): void {
    const settled: QueueEntry[] = [];
    const outcomes: [QueueEntry, OperationConfirmation][] = [];
    for (const confirmation of confirmations) {
      if (confirmation.clientId !== this.#c.clientId) continue;
      const entry = this.#queue.byId(confirmation.operationId);
      if (!entry || entry.settled) continue;
      settled.push(entry);
      outcomes.push([entry, confirmation]);
    }
    this.#queue.settle(settled);
    for (const [entry, confirmation] of outcomes) {
      this.#resolveWaiter(entry);
      if (confirmation.success) this.#emitConfirmed(entry, confirmation.serverTimestamp);
      else this.#emitFailed(entry, confirmation.error ?? "refused by the server");
    }
    this.#checkFlushWaiters();
  }

  #emitConfirmed(entry: QueueEntry, serverTimestamp: number): ConfirmedOperation {
    const confirmed: ConfirmedOperation = { ...entry.op, serverTimestamp };
    this.emit("operationConfirmed", confirmed);
    // The base engine's acknowledgement, for code written against it (bindStore retries a full queue on it).
    this.emit("ack", { messageId: `${entry.op.clientId}:${entry.op.id}`, seq: Number(this.#stateVersion) || 0 });
    return confirmed;
  }

  #emitFailed(entry: QueueEntry, error: string): void {
    this.emit("operationFailed", { operation: { ...entry.op }, error });
    this.#checkFlushWaiters();
  }

  #resolveWaiter(entry: QueueEntry): void {
    const resolve = this.#waiters.get(entry);
    if (resolve) {
      this.#waiters.delete(entry);
      resolve();
    }
  }

  /** Lets every `executeOperation` waiting for a push answer go. */
  #release(): void {
    for (const resolve of this.#waiters.values()) resolve();
    this.#waiters.clear();
  }

  #checkFlushWaiters(): void {
    for (const waiter of this.#flushWaiters) {
      for (const entry of waiter.entries) if (entry.settled) waiter.entries.delete(entry);
      if (waiter.entries.size === 0) {
        this.#flushWaiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  // ---- pull ------------------------------------------------------------------

  /**
   * Pulls what changed since the applied version and applies it (a
   * `statePatch`, `remoteChange` events, confirmations of operations the
   * server applied). Calls made while a pull runs share one following pull.
   * Rejects when the request fails (also reported as `error`; retried with
   * backoff while connected).
   */
  syncState(): Promise<void> {
    if (this.#pullRunning === undefined) {
      this.#pullRunning = this.#pull().finally(() => {
        this.#pullRunning = undefined;
      });
      return this.#pullRunning;
    }
    this.#pullNext ??= this.#pullRunning
      .catch(() => undefined)
      .then(() => {
        this.#pullNext = undefined;
        return this.syncState();
      });
    return this.#pullNext;
  }

  async #pull(): Promise<void> {
    this.#checkOpen();
    await this.#load();
    const sentVersion = this.#stateVersion;
    const first = this.#queue.entries()[0];
    const request: StateSyncRequest = {
      clientId: this.#c.clientId,
      confirmedOperationId: first ? first.op.id - 1 : this.#queue.lastId,
    };
    if (sentVersion !== "") request.stateVersion = sentVersion;
    if (this.#c.entityTypes) request.entityTypes = this.#c.entityTypes;
    if (this.#lastSyncTimestamp > 0) request.lastSyncTimestamp = this.#lastSyncTimestamp;
    let response: StateSyncResponse;
    try {
      const raw = await this.#c.http.post<StateSyncRequest, unknown>(this.#c.stateUrl, request, { headers: this.#headers(), timeout: this.#c.requestTimeout, retries: 0 });
      const parsed = stateResponseSchema.safeParse(raw);
      if (!parsed.success) throw new SyncOpsError(SyncOpsErrorCode.ProtocolError, `the state answer does not match the protocol: ${describeZodError(parsed.error)}`);
      response = parsed.data as StateSyncResponse;
    } catch (error) {
      this.#transition("request-failed");
      this.#reportError(error);
      this.#release();
      this.#schedulePullRetry();
      throw error;
    }
    this.#pullAttempt = 0;
    this.#transition("request-ok");
    this.#applyState(response, sentVersion);
  }

  #schedulePullRetry(): void {
    if (this.#phase === "idle" && this.#flushWaiters.size === 0) return;
    if (this.#pullRetryTimer !== undefined) return;
    const delay = backoff(this.#pullAttempt++, this.#c.retryDelay, this.#c.maxRetryDelay, this.#c.random);
    this.#pullRetryTimer = this.#c.timers.setTimeout(() => {
      this.#pullRetryTimer = undefined;
      this.syncState().catch(() => undefined);
    }, delay);
  }

  #schedulePeriodicPull(): void {
    if (this.#c.pullInterval === 0 || this.#phase === "idle") return;
    this.#periodicTimer = this.#c.timers.setTimeout(() => {
      this.#periodicTimer = undefined;
      if (this.#phase === "idle") return;
      this.syncState().catch(() => undefined);
      this.#schedulePeriodicPull();
    }, this.#c.pullInterval);
  }

  #applyState(response: StateSyncResponse, sentVersion: string): void {
    const reset = response.reset === true;
    const older = compareVersions(response.stateVersion, this.#stateVersion) < 0;
    // Forward only: an older answer is dropped, except a reset answering the version we sent (the server lost history).
    if (older && !(reset && sentVersion === this.#stateVersion)) return;

    // Confirmations: the server's last applied id for this client.
    const serverLast = response.lastOperationIds?.[this.#c.clientId] ?? 0;
    const confirmed: ConfirmedOperation[] = [];
    if (serverLast > this.#queue.lastId) {
      // The server applied ids this storage never handed out: it was lost or reset. Continue after the server.
      const first = this.#queue.entries()[0];
      this.#queue.renumber(serverLast + 1);
      this.#queue.raiseLastId(serverLast);
      if (first) this.#reportError(new SyncOpsError(SyncOpsErrorCode.ProtocolError, `the server has applied operations up to ${serverLast} for client ${this.#c.clientId}, beyond this client's storage; its pending operations were renumbered from ${serverLast + 1}`));
    } else {
      const failures = new Map((response.failedOperations ?? []).map((f) => [f.operationId, f.error]));
      const answered = this.#queue.entries().filter((e) => e.durable && e.op.id <= serverLast);
      this.#queue.settle(answered);
      for (const entry of answered) {
        this.#resolveWaiter(entry);
        const error = failures.get(entry.op.id);
        if (error === undefined) confirmed.push(this.#emitConfirmed(entry, response.syncTimestamp));
        else this.#emitFailed(entry, error);
      }
      this.#checkFlushWaiters();
    }
    this.#handshake = true;

    const { entities, deleted } = patchContent(response, this.#known);

    const changed = response.stateVersion !== this.#stateVersion || entities.length > 0 || deleted.length > 0 || reset;
    this.#stateVersion = response.stateVersion;
    this.#lastSyncTimestamp = response.syncTimestamp;
    if (changed) {
      this.#queue.setValue(this.#c.stateVersionKey, response.stateVersion).catch((error: unknown) => this.#reportError(error));
      const operationId = `state-${response.stateVersion}`;
      for (const entity of entities) {
        this.emit("remoteChange", { type: "upsert", entityType: entity.type, entityId: entity.id, entity, timestamp: response.syncTimestamp, userId: "server", operationId, clientId: "server" });
      }
      for (const d of deleted) {
        this.emit("remoteChange", { type: "delete", entityType: d.entityType, entityId: d.entityId, timestamp: response.syncTimestamp, userId: "server", operationId, clientId: "server" });
      }
      this.emit("statePatch", {
        stateVersion: response.stateVersion,
        operations: confirmed,
        entities,
        deletedEntityIds: deleted.map((d) => d.entityId),
        deleted,
        reset,
        timestamp: response.syncTimestamp,
      });
    }
    this.#kickPush();
  }

  // ---- notifications -----------------------------------------------------------

  #startChannel(): Promise<void> {
    const n = this.#c.notification;
    if (!n) return Promise.resolve();
    const url = () => {
      const u = new URL(n.url);
      u.searchParams.set("clientId", this.#c.clientId);
      u.searchParams.set("userId", this.#c.userId);
      // EventSource-style streams and browser WebSockets cannot send headers: the token rides along in the query too.
      if ((n.kind === "sse" || this.#c.notificationTokenInQuery) && this.#c.authToken !== undefined) u.searchParams.set("token", this.#c.authToken);
      return u.toString();
    };
    const opened = new Promise<void>((resolve) => {
      this.#channelOpened = () => {
        this.#channelOpened = undefined;
        resolve();
      };
    });
    let everOpened = false;
    const channel = new NotificationChannel({
      kind: n.kind,
      url,
      headers: () => this.#headers(),
      WebSocket: this.#c.WebSocket,
      fetch: this.#c.fetch,
      timers: this.#c.timers,
      random: this.#c.random,
      reconnectBaseMs: this.#c.retryDelay,
      reconnectMaxMs: this.#c.maxRetryDelay,
      onOpen: () => {
        this.#channelOpened?.();
        // Notifications sent while the connection was down are lost: pull once it is back.
        if (everOpened) this.syncState().catch(() => undefined);
        everOpened = true;
      },
      onMessage: (text) => this.#onNotification(text),
      onClose: () => this.#presence.clear(),
      // The first attempt failing also ends connect()'s wait (the channel keeps retrying).
      onAttemptFailed: () => this.#channelOpened?.(),
    });
    this.#channel = channel;
    channel.start();
    return opened;
  }

  #onNotification(text: string): void {
    const parsed = parseNotification(text);
    if (parsed instanceof SyncOpsError) {
      this.#reportError(parsed);
      return;
    }
    this.emit("notification", parsed as NotificationMessage);
    switch (parsed.type) {
      case "state_changed":
        if (compareVersions(parsed.payload.stateVersion, this.#stateVersion) > 0) this.syncState().catch(() => undefined);
        break;
      case "operation_confirmed":
        this.#handleConfirmations([parsed.payload as OperationConfirmation]);
        break;
      case "client_connected":
      case "client_disconnected": {
        const connected = parsed.type === "client_connected";
        const { clientId, userId } = parsed.payload;
        if (connected) this.#presence.add(clientId);
        else this.#presence.delete(clientId);
        this.emit("presence", userId === undefined ? { clientId, connected } : { clientId, userId, connected });
        break;
      }
    }
  }
}
