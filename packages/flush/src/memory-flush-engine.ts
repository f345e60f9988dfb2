import type { BaseEntity, ChangeBatch, ChangeSink, EntityId } from "@kalphite/store";
import { buildCall, listEntities, type Call } from "./call";
import { ChangeQueue, type BatchEntry, type IncomingChange } from "./change-queue";
import { resolveConfig, type ResolvedFlushConfig } from "./config";
import { DeadLetterList, deadLettersOf, type DeadUnitRecords } from "./dead-letters";
import { TypedEmitter, type Listener } from "./emitter";
import { describeError, destroyedError, FlushError, FlushErrorCode, isNonRetriable } from "./errors";
import { TRANSITIONS } from "./flush-state";
import { checkBatch, checkCloseOptions } from "./input";
import { flushKey } from "./memory-flush-target";
import { backoffDelay, OneShotTimer } from "./timers";
import type { CloseOptions, DeadLetter, DeadLetterKey, FlushChange, FlushConfig, FlushEvents, FlushState, FlushStats } from "./types";

interface Waiter {
  /** Resolve once every batch numbered up to here is delivered (or dead-lettered). */
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (error: FlushError) => void;
}


/**
 * Debounced, coalesced, batched and retried delivery of store changes to a
 * `FlushTarget`. Implements the store's `ChangeSink`:
 * `KalphiteStore(schema, { sink: engine })` sends it every store batch
 * (local and remote writes) through `scheduleBatch`.
 *
 * - A store batch is the unit of atomicity: it reaches the target whole, in
 *   one call, with its `batchId` and metadata, never split, never overtaken.
 * - Identity is `(entityType, entityId)`; changes to one entity that wait
 *   together coalesce into one carrying the latest state (the batches
 *   involved, and those between them, then travel in the same call; when
 *   that would pass `maxBatchSize`, the newer change goes out after the older).
 * - Calls group whole batches up to `maxBatchSize` changes and go out one at
 *   a time, in batch order, at most `min(debounceMs, maxWaitMs)` after the first write.
 * - A temporary failure is retried with exponential backoff; after
 *   `maxRetries` the changes stay queued and `error` reports them. A
 *   permanent one (`NonRetriableError`, `isRetriable`) is isolated by
 *   bisecting the call along batch boundaries; the refused batches go to the
 *   dead-letter list (`getDeadLetters()`, the `dead` event) and the rest is delivered.
 * - `flush()` resolves once everything scheduled before it is delivered or
 *   dead-lettered, and rejects with the cause when that is impossible.
 *
 * @example
 * const engine = new MemoryFlushEngine({ flushTarget: async (changes, { meta }) => db.apply(changes, meta) });
 * const store = KalphiteStore(schema, { sink: engine });
 * store.todo.upsert("t1", { title: "Ship it", done: false });
 * await engine.flush();
 */
export class MemoryFlushEngine implements ChangeSink {
  readonly #config: ResolvedFlushConfig;
  readonly #queue = new ChangeQueue();
  readonly #dead = new DeadLetterList();
  readonly #events: TypedEmitter<FlushEvents>;
  readonly #timer: OneShotTimer;
  #state: FlushState = "idle";
  /** Number of the latest scheduled batch. */
  #seq = 0;
  /** Numbers the batches made by `scheduleFlush`/`scheduleDelete`. */
  #ownBatches = 0;
  /** Failed attempts of the call at the front, in this delivery cycle. */
  #attempt = 0;
  /** Units at the front under suspicion of a permanent failure: calls take at most half of them (bisection). */
  #suspects = 0;
  #waiters: Waiter[] = [];
  /** Destroyed with changes undelivered. */
  #abandoned = false;
  #delivered = 0;
  #retried = 0;
  #failed = 0;
  #batches = 0;

  /** @throws FlushError `INVALID_CONFIG` when an option is missing or out of range. */
  constructor(config: FlushConfig) {
    this.#config = resolveConfig(config);
    this.#events = new TypedEmitter<FlushEvents>(this.#config.onListenerError);
    this.#timer = new OneShotTimer(this.#config.timers);
  }

  /** The current state (see `FlushState`). */
  get state(): FlushState {
    return this.#state;
  }

  /**
   * Queues one store batch, all or nothing: every change (each with its
   * `origin`) and the batch's metadata reach the target in one call, with
   * `batch.batchId` in `context.batchIds`. O(changes).
   * @throws FlushError `DESTROYED` after `destroy()`, `QUEUE_FULL` when its new
   *   entities would pass `maxQueueSize`, `INVALID_ARGUMENT` for a malformed
   *   batch; nothing of the batch is queued then.
   */
  scheduleBatch(batch: ChangeBatch<BaseEntity>): void {
    if (this.#state === "destroyed") throw destroyedError(`scheduleBatch(${JSON.stringify((batch as { batchId?: unknown } | null)?.batchId)})`);
    const changes = checkBatch(batch);
    this.#schedule(changes, { batchId: batch.batchId, meta: batch.meta === undefined ? undefined : { ...batch.meta } });
  }

  /**
   * Queues the new state of `(entity.type, entityId)`: a batch of one, origin
   * `"local"`, with a fresh `batchId`. O(1).
   * @throws FlushError `DESTROYED` after `destroy()`, `QUEUE_FULL` for a new entity past
   *   `maxQueueSize`, `INVALID_ARGUMENT` when `entity` has no `type` or another id.
   */
  scheduleFlush(entityId: EntityId, entity: BaseEntity): void {
    if (this.#state === "destroyed") throw destroyedError(`scheduleFlush(${JSON.stringify(entityId)})`);
    if (typeof entity !== "object" || entity === null || typeof entity.type !== "string" || entity.type === "" || entity.id !== entityId || typeof entityId !== "string") {
      throw new FlushError(FlushErrorCode.InvalidArgument, `scheduleFlush(${JSON.stringify(entityId)}, entity): entity must be an object with a non-empty string type and id === entityId`);
    }
    this.#schedule([{ operation: "upsert", entityType: entity.type, entityId, entity, origin: "local" }], { batchId: this.#nextBatchId(), meta: undefined });
  }

  /**
   * Queues the deletion of `(entityType, entityId)`: a batch of one, origin `"local"`.
   * @throws FlushError `DESTROYED`, `QUEUE_FULL` or `INVALID_ARGUMENT` as `scheduleFlush`.
   */
  scheduleDelete(entityId: EntityId, entityType: string): void {
    if (this.#state === "destroyed") throw destroyedError(`scheduleDelete(${JSON.stringify(entityId)})`);
    if (typeof entityId !== "string" || entityId === "" || typeof entityType !== "string" || entityType === "") {
      throw new FlushError(FlushErrorCode.InvalidArgument, `scheduleDelete(${JSON.stringify(entityId)}, ${JSON.stringify(entityType)}): entityId and entityType must be non-empty strings (a deletion always carries its type)`);
    }
    this.#schedule([{ operation: "delete", entityType, entityId, entity: undefined, origin: "local" }], { batchId: this.#nextBatchId(), meta: undefined });
  }

  /**
   * Delivers now (cancelling the debounce wait) and resolves once every change
   * scheduled before this call is delivered, or dead-lettered (see
   * `getDeadLetters()`). Rejects with a `FlushError` (`DELIVERY_FAILED`, the
   * target's error as `cause`) when the retries are spent, or `DESTROYED`. A
   * backoff already under way is honoured; while paused, it waits for
   * `resumeFlush()`. Called from an `error` listener, it is not rejected with
   * the failure being reported: it starts a new cycle and settles with it.
   * In memory-only mode it resolves at once.
   */
  flush(): Promise<void> {
    if (this.#state === "destroyed") return Promise.reject(destroyedError("flush()"));
    if (this.#queue.empty) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ seq: this.#seq, resolve, reject }));
    if (this.#state === "idle" || this.#state === "scheduled") this.#startCycle();
    return done;
  }

  /**
   * Flushes everything (resuming a paused engine: closing means delivering),
   * then destroys the engine. If delivery fails, rejects like `flush()` and
   * the engine stays open with its queue, so nothing is lost. With
   * `timeoutMs`, gives up when it expires: rejects with a `FlushError`
   * `CLOSE_TIMEOUT` whose `changes` are the undelivered ones, reports them
   * through `error`, and leaves the engine open with its queue (a hung call
   * that completes later still counts). Dead letters do not hold `close()` up.
   * @throws FlushError `INVALID_ARGUMENT` when `timeoutMs` is not a number of ms.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    const timeoutMs = checkCloseOptions(options);
    if (this.#state === "destroyed") {
      if (this.#abandoned) throw destroyedError("close()");
      return;
    }
    this.resumeFlush();
    let gaveUp = false;
    const drain = (async () => {
      while (!gaveUp && !this.#queue.empty) await this.flush();
    })();
    if (timeoutMs === undefined) {
      await drain;
      this.destroy();
      return;
    }
    const timers = this.#config.timers;
    let handle: unknown;
    const expired = new Promise<"expired">((resolve) => {
      handle = timers.setTimeout(() => resolve("expired"), timeoutMs);
    });
    drain.catch(() => undefined); // settled below, or abandoned after the timeout
    try {
      const outcome = await Promise.race([drain, expired]);
      if (outcome !== "expired") {
        this.destroy();
        return;
      }
    } finally {
      timers.clearTimeout(handle);
    }
    gaveUp = true;
    const undelivered = this.#queue.snapshot();
    const error = new FlushError(
      FlushErrorCode.CloseTimeout,
      `close({ timeoutMs: ${timeoutMs} }) expired with ${undelivered.length} change(s) not delivered (${listEntities(undelivered)}); they stay queued (getQueuedChanges()) and the engine stays open.`,
      { changes: undelivered },
    );
    this.#report(undelivered, error, 0);
    throw error;
  }

  /** Every undelivered change (pending, in flight, waiting to retry), latest state per entity, oldest first. Dead letters are not in it. */
  getQueuedChanges(): FlushChange[] {
    return this.#queue.snapshot();
  }

  /** Counters since construction; `queued` is the current number of distinct queued entities, `deadLetters` the current dead-letter count. */
  getStats(): FlushStats {
    return { delivered: this.#delivered, retried: this.#retried, failed: this.#failed, queued: this.#queue.distinct, batches: this.#batches, deadLetters: this.#dead.size };
  }

  /**
   * The changes the target refused for good, oldest first, one per entity:
   * each with its `(entityType, entityId)`, the change, its `batchId`, the
   * target's error and a `reason` naming the entity. A later write of the
   * entity supersedes its letter (the letter is dropped: the newer state is
   * queued instead).
   */
  getDeadLetters(): DeadLetter[] {
    return this.#dead.list();
  }

  /**
   * Moves every dead letter back into the queue (after the cause was fixed),
   * whole store batches with their ids and metadata, behind what is queued,
   * and starts delivering them. Returns how many changes were requeued;
   * `await flush()` to wait for them. One refused again goes back to the list.
   * @throws FlushError `DESTROYED` after `destroy()`.
   */
  retryDeadLetters(): number {
    if (this.#state === "destroyed") throw destroyedError("retryDeadLetters()");
    let count = 0;
    for (const { changes, batches } of this.#dead.takeAll()) {
      this.#queue.restore(changes, batches, ++this.#seq, this.#config.now());
      count += changes.length;
    }
    if (count > 0 && (this.#state === "idle" || this.#state === "scheduled")) this.#startCycle();
    return count;
  }

  /**
   * Forgets dead letters: those of `keys` (`{ entityType, entityId }` or
   * `flushKey(entityType, entityId)` strings), or all when absent. Returns how many were dropped.
   * @throws FlushError `INVALID_ARGUMENT` for a malformed key (nothing is dropped).
   */
  discardDeadLetters(keys?: readonly DeadLetterKey[]): number {
    return this.#dead.discard(keys);
  }

  /**
   * Holds delivery: the debounce or retry timer is cancelled and no new call
   * starts (one already in flight completes). Scheduling still works.
   */
  pauseFlush(): void {
    if (this.#state === "destroyed" || this.#state === "paused") return;
    this.#timer.clear();
    this.#transition("paused");
  }

  /** Ends a pause and delivers what accumulated, right away. */
  resumeFlush(): void {
    if (this.#state !== "paused") return;
    if (this.#queue.inFlight) this.#transition("flushing"); // the call's outcome continues the cycle
    else if (this.#queue.waiting) {
      this.#transition("flushing");
      this.#deliverNext();
    } else this.#transition("idle");
  }

  /**
   * Stops the engine: cancels its timers and rejects pending `flush()` calls
   * (`DESTROYED`); scheduling afterwards throws. Changes still undelivered are
   * reported once through `error` and stay readable in
   * `getQueuedChanges()`; dead letters stay readable too. Use `close()` to deliver first.
   */
  destroy(): void {
    if (this.#state === "destroyed") return;
    this.#timer.clear();
    this.#transition("destroyed");
    const undelivered = this.#queue.snapshot();
    const error = destroyedError("destroy()", undelivered);
    const waiters = this.#takeWaiters();
    if (undelivered.length > 0) {
      this.#abandoned = true;
      this.#report(undelivered, error, 0);
    }
    for (const waiter of waiters) waiter.reject(error);
    this.#events.clear();
  }

  /**
   * Listens to an event (`flushed`, `retry`, `error`, `dead`; see `FlushEvents`).
   * Returns the unsubscribe function. A throwing listener does not stop the others.
   */
  on<K extends keyof FlushEvents>(event: K, listener: Listener<FlushEvents[K]>): () => void {
    return this.#events.on(event, listener);
  }

  // ---- internals ----------------------------------------------------------

  #nextBatchId(): string {
    return `flush-${++this.#ownBatches}`;
  }

  #schedule(changes: readonly IncomingChange[], batch: BatchEntry): void {
    const config = this.#config;
    if (!config.enablePersistence) return;
    if (changes.length === 0 && batch.meta === undefined) return; // nothing to make durable
    const seq = this.#seq + 1;
    this.#queue.put(changes, batch, seq, config.now(), config.maxQueueSize, config.maxBatchSize);
    this.#seq = seq;
    if (this.#dead.size > 0) {
      for (const change of changes) this.#dead.supersede(flushKey(change.entityType, change.entityId));
      if (batch.meta !== undefined) this.#dead.supersedeMeta(batch.meta);
    }
    if (this.#state === "idle") {
      this.#transition("scheduled");
      this.#timer.arm(Math.min(config.debounceMs, config.maxWaitMs), () => this.#startCycle());
    }
  }

  /** The only place `#state` changes. */
  #transition(to: FlushState): void {
    if (!TRANSITIONS[this.#state].includes(to)) {
      throw new Error(`MemoryFlushEngine: illegal transition ${this.#state} → ${to}`);
    }
    this.#state = to;
  }

  #startCycle(): void {
    this.#timer.clear();
    this.#transition("flushing");
    this.#attempt = 0;
    this.#deliverNext();
  }

  /** Sends the next call, synchronously, or ends the cycle when nothing waits. */
  #deliverNext(): void {
    const maxUnits = this.#suspects > 0 ? Math.ceil(this.#suspects / 2) : Infinity;
    const units = this.#queue.take(this.#config.maxBatchSize, maxUnits);
    if (units.length === 0) {
      this.#suspects = 0;
      this.#transition("idle");
      this.#resolveWaiters();
      return;
    }
    const call = buildCall(units);
    const attempt = this.#attempt + 1;
    if (attempt > 1) this.#retried += call.changes.length;
    let result: Promise<void>;
    try {
      result = Promise.resolve(this.#config.flushTarget(call.changes, call.context));
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      () => this.#onDelivered(call, attempt),
      (error: unknown) => this.#onFailed(call, error),
    );
  }

  #onDelivered(call: Call, attempt: number): void {
    this.#queue.delivered();
    if (this.#state === "destroyed") return;
    this.#attempt = 0;
    this.#suspects = Math.max(0, this.#suspects - call.units.length);
    this.#delivered += call.changes.length;
    this.#batches++;
    this.#events.emit("flushed", { changes: call.changes, attempt, batchIds: call.context.batchIds, meta: call.context.meta });
    this.#resolveWaiters();
    if (this.#state === "flushing") this.#deliverNext();
  }

  #onFailed(call: Call, cause: unknown): void {
    if (!this.#config.isRetriable(cause)) {
      this.#onRefused(call, cause);
      return;
    }
    const requeued = this.#queue.failed(new Set(), false, this.#config.maxBatchSize).requeued;
    if (this.#state === "destroyed") return;
    const changes = requeued.flatMap((unit) => unit.changes());
    const attempts = ++this.#attempt;
    const { maxRetries, baseRetryDelay, maxRetryDelay, random } = this.#config;
    if (attempts > maxRetries) {
      this.#attempt = 0;
      this.#failed += changes.length;
      const error = new FlushError(
        FlushErrorCode.DeliveryFailed,
        `${changes.length} change(s) could not be delivered after ${attempts} attempt(s) (${listEntities(changes)}); they stay queued and the next flush retries them. Last error: ${describeError(cause)}`,
        { cause, changes },
      );
      if (this.#state === "flushing") this.#transition("idle");
      // The flush() calls this failure settles are the ones made before it; one made by a listener starts a new cycle.
      const waiters = this.#takeWaiters();
      this.#report(changes, error, attempts);
      for (const waiter of waiters) waiter.reject(error);
      return;
    }
    if (this.#state !== "flushing") return; // paused: resumeFlush() retries
    const delay = backoffDelay(attempts - 1, baseRetryDelay, maxRetryDelay, random);
    this.#events.emit("retry", { changes, attempt: attempts, delay, error: cause });
    if (this.#state === "flushing" && !this.#timer.armed) this.#timer.arm(delay, () => this.#deliverNext());
  }

  /**
   * A permanent failure: the units the target named, or the only unit of the
   * call, are dead-lettered whole; otherwise the call is bisected (the next
   * calls take half of the suspects at a time) until the refused units are
   * alone. The rest goes out right away: it has not failed.
   */
  #onRefused(call: Call, cause: unknown): void {
    // What the target names is checked: a foreign NonRetriableError may carry no (or malformed) `changes`.
    const listed: readonly unknown[] = isNonRetriable(cause) && Array.isArray(cause.changes) ? cause.changes : [];
    const named = listed.filter(
      (c): c is FlushChange => typeof c === "object" && c !== null && typeof (c as FlushChange).entityType === "string" && typeof (c as FlushChange).entityId === "string",
    );
    const offending = new Set(named.map((change) => flushKey(change.entityType, change.entityId)));
    // An entity can sit in two units of a call (an older version, then a newer one): the batch id tells them apart.
    const batchOf = new Map(named.map((change) => [flushKey(change.entityType, change.entityId), change.batchId] as const));
    const hit = (record: { key: string; batchId: string }, strict: boolean) =>
      offending.has(record.key) && (!strict || batchOf.get(record.key) === undefined || batchOf.get(record.key) === record.batchId);
    let dead = new Set(call.units.filter((unit) => unit.records.some((record) => hit(record, true))));
    if (dead.size === 0) dead = new Set(call.units.filter((unit) => unit.records.some((record) => hit(record, false))));
    if (dead.size === 0 && call.units.length === 1) dead = new Set(call.units);
    const bisect = dead.size === 0;
    const { dead: gone } = this.#queue.failed(dead, bisect, this.#config.maxBatchSize);
    if (this.#state === "destroyed") return;
    this.#attempt = 0;
    this.#suspects = bisect ? call.units.length : Math.max(0, this.#suspects - call.units.length);
    if (gone.length > 0) this.#deadLetter(gone, offending, cause);
    if (this.#state === "flushing") this.#deliverNext();
  }

  #deadLetter(units: readonly DeadUnitRecords[], offending: ReadonlySet<string>, cause: unknown): void {
    const letters: DeadLetter[] = [];
    for (const dead of units) {
      const unitLetters = deadLettersOf(dead, offending, cause, this.#config.now());
      this.#dead.add(unitLetters, dead.unit.batches);
      letters.push(...unitLetters);
    }
    const changes = letters.map((letter) => letter.change);
    const named = letters.filter((letter) => letter.offending).map((letter) => letter.change);
    const what = named.length > 0 ? listEntities(named) : `a change of batch(es) ${units.flatMap((u) => u.unit.batchIds).join(", ")}`;
    const error = new FlushError(
      FlushErrorCode.DeadLetter,
      `The target refused ${what} for good: ${describeError(cause)}. The ${changes.length} change(s) of the refused store batch(es) are in getDeadLetters(); the other changes go on.`,
      { cause, changes },
    );
    const waiters = this.#resolvableWaiters();
    this.#report(changes, error, 1, letters);
    for (const waiter of waiters) waiter.resolve();
  }

  /** Emits `error` (and `dead` for dead letters); with nobody listening, logs instead, so a failure is never silent. */
  #report(changes: readonly FlushChange[], error: FlushError, attempts: number, deadLetters?: DeadLetter[]): void {
    const listeners = this.#events.listenerCount("error") + (deadLetters === undefined ? 0 : this.#events.listenerCount("dead"));
    if (listeners === 0) {
      console.error("[kalphite] MemoryFlushEngine:", error);
      return;
    }
    this.#events.emit("error", { changes, error, attempts });
    if (deadLetters !== undefined) this.#events.emit("dead", { changes, error, attempts, deadLetters });
  }

  /** Removes and returns the waiters whose changes are all delivered or dead-lettered now. */
  #resolvableWaiters(): Waiter[] {
    const oldest = this.#queue.minSeq();
    let done = 0;
    while (done < this.#waiters.length && this.#waiters[done]!.seq < oldest) done++;
    if (done === 0) return [];
    const ready = this.#waiters.slice(0, done);
    this.#waiters = this.#waiters.slice(done);
    return ready;
  }

  #resolveWaiters(): void {
    for (const waiter of this.#resolvableWaiters()) waiter.resolve();
  }

  #takeWaiters(): Waiter[] {
    const waiters = this.#waiters;
    this.#waiters = [];
    return waiters;
  }

}
