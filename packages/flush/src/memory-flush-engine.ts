import type { BaseEntity, ChangeSink, EntityId } from "@kalphite/store";
import { ChangeQueue } from "./change-queue";
import { resolveConfig, type ResolvedFlushConfig } from "./config";
import { TypedEmitter, type Listener } from "./emitter";
import { describeError, destroyedError, FlushError, FlushErrorCode } from "./errors";
import { TRANSITIONS } from "./flush-state";
import { backoffDelay, OneShotTimer } from "./timers";
import type { FlushChange, FlushConfig, FlushEvents, FlushState, FlushStats } from "./types";

interface Waiter {
  /** Resolve once every change numbered up to here is delivered. */
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (error: FlushError) => void;
}

/**
 * Debounced, coalesced, batched and retried delivery of store changes to a
 * `FlushTarget`. Implements the store's `ChangeSink`:
 * `KalphiteStore(schema, { sink: engine })` sends it every local and remote write.
 *
 * - Identity is `(entityType, entityId)`; changes to one entity inside a
 *   debounce window coalesce into one carrying the latest state.
 * - Batches of at most `maxBatchSize` go out one at a time, in the order the
 *   entities were first changed; a newer change is never overtaken by an older one.
 * - A failed batch is retried with exponential backoff; after `maxRetries` its
 *   changes stay queued, `error`/`dead` report them and the next flush retries them.
 * - `flush()` resolves once everything scheduled before it is delivered, and
 *   rejects with the cause when that is impossible.
 *
 * @example
 * const engine = new MemoryFlushEngine({ flushTarget: async (changes) => db.apply(changes) });
 * const store = KalphiteStore(schema, { sink: engine });
 * store.todo.upsert("t1", { title: "Ship it", done: false });
 * await engine.flush();
 */
export class MemoryFlushEngine implements ChangeSink {
  readonly #config: ResolvedFlushConfig;
  readonly #queue = new ChangeQueue();
  readonly #events: TypedEmitter<FlushEvents>;
  readonly #timer: OneShotTimer;
  #state: FlushState = "idle";
  /** Number of the latest scheduled change. */
  #seq = 0;
  /** Failed attempts of the batch at the front, in this delivery cycle. */
  #attempt = 0;
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
   * Queues the new state of `(entity.type, entityId)`. O(1); one debounce
   * timer per window, not per change.
   * @throws FlushError `DESTROYED` after `destroy()`, `QUEUE_FULL` for a new entity past
   *   `maxQueueSize`, `INVALID_ARGUMENT` when `entity` has no `type` or another id.
   */
  scheduleFlush(entityId: EntityId, entity: BaseEntity): void {
    if (typeof entity !== "object" || entity === null || typeof entity.type !== "string" || entity.type === "" || entity.id !== entityId || typeof entityId !== "string") {
      throw new FlushError(FlushErrorCode.InvalidArgument, `scheduleFlush(${JSON.stringify(entityId)}, entity): entity must be an object with a non-empty string type and id === entityId`);
    }
    this.#schedule(entityId, entity.type, "upsert", entity);
  }

  /**
   * Queues the deletion of `(entityType, entityId)`.
   * @throws FlushError `DESTROYED`, `QUEUE_FULL` or `INVALID_ARGUMENT` as `scheduleFlush`.
   */
  scheduleDelete(entityId: EntityId, entityType: string): void {
    if (typeof entityId !== "string" || entityId === "" || typeof entityType !== "string" || entityType === "") {
      throw new FlushError(FlushErrorCode.InvalidArgument, `scheduleDelete(${JSON.stringify(entityId)}, ${JSON.stringify(entityType)}): entityId and entityType must be non-empty strings (a deletion always carries its type)`);
    }
    this.#schedule(entityId, entityType, "delete", undefined);
  }

  /**
   * Delivers now (cancelling the debounce wait) and resolves once every change
   * scheduled before this call is delivered. Rejects with a `FlushError`
   * (`DELIVERY_FAILED`, the target's error as `cause`) when the retries are
   * spent, or `DESTROYED`. A backoff already under way is honoured; while
   * paused, it waits for `resumeFlush()`. In memory-only mode it resolves at once.
   */
  flush(): Promise<void> {
    if (this.#state === "destroyed") return Promise.reject(destroyedError("flush()"));
    if (this.#queue.distinct === 0) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ seq: this.#seq, resolve, reject }));
    if (this.#state === "idle" || this.#state === "scheduled") this.#startCycle();
    return done;
  }

  /**
   * Flushes everything (resuming a paused engine: closing means delivering),
   * then destroys the engine. If delivery fails, rejects like `flush()` and
   * the engine stays open with its queue, so nothing is lost.
   */
  async close(): Promise<void> {
    if (this.#state === "destroyed") {
      if (this.#abandoned) throw destroyedError("close()");
      return;
    }
    this.resumeFlush();
    while (this.#queue.distinct > 0) await this.flush();
    this.destroy();
  }

  /** Every undelivered change (pending, in flight, waiting to retry), latest state per entity, oldest first. */
  getQueuedChanges(): FlushChange[] {
    return this.#queue.snapshot();
  }

  /** Counters since construction; `queued` is the current number of distinct queued entities. */
  getStats(): FlushStats {
    return { delivered: this.#delivered, retried: this.#retried, failed: this.#failed, queued: this.#queue.distinct, batches: this.#batches };
  }

  /**
   * Holds delivery: the debounce or retry timer is cancelled and no new batch
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
    if (this.#queue.inFlight) this.#transition("flushing"); // the batch's outcome continues the cycle
    else if (this.#queue.waiting > 0) {
      this.#transition("flushing");
      this.#deliverNext();
    } else this.#transition("idle");
  }

  /**
   * Stops the engine: cancels its timers and rejects pending `flush()` calls
   * (`DESTROYED`); scheduling afterwards throws. Changes still undelivered are
   * reported once through `error`/`dead` and stay readable in
   * `getQueuedChanges()`. Use `close()` to deliver them first.
   */
  destroy(): void {
    if (this.#state === "destroyed") return;
    this.#timer.clear();
    this.#transition("destroyed");
    const undelivered = this.#queue.snapshot();
    const error = destroyedError("destroy()", undelivered);
    if (undelivered.length > 0) {
      this.#abandoned = true;
      this.#report(undelivered, error, 0);
    }
    this.#rejectWaiters(error);
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

  #schedule(id: EntityId, type: string, operation: FlushChange["operation"], entity: BaseEntity | undefined): void {
    const state = this.#state;
    if (state === "destroyed") throw destroyedError(`${operation === "upsert" ? "scheduleFlush" : "scheduleDelete"}(${JSON.stringify(id)})`);
    const config = this.#config;
    if (!config.enablePersistence) return;
    const seq = this.#seq + 1;
    this.#queue.put(type, id, operation, entity, config.now(), seq, config.maxQueueSize);
    this.#seq = seq;
    if (state === "idle") {
      this.#transition("scheduled");
      this.#timer.arm(config.debounceMs, () => this.#startCycle());
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

  /** Sends the next batch, synchronously, or ends the cycle when nothing waits. */
  #deliverNext(): void {
    const changes = this.#queue.takeBatch(this.#config.maxBatchSize);
    if (changes.length === 0) {
      this.#transition("idle");
      this.#resolveWaiters();
      return;
    }
    const attempt = this.#attempt + 1;
    if (attempt > 1) this.#retried += changes.length;
    let result: Promise<void>;
    try {
      result = Promise.resolve(this.#config.flushTarget(changes));
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      () => this.#onDelivered(changes, attempt),
      (error: unknown) => this.#onFailed(error),
    );
  }

  #onDelivered(changes: FlushChange[], attempt: number): void {
    this.#queue.delivered();
    if (this.#state === "destroyed") return;
    this.#attempt = 0;
    this.#delivered += changes.length;
    this.#batches++;
    this.#events.emit("flushed", { changes, attempt });
    this.#resolveWaiters();
    if (this.#state === "flushing") this.#deliverNext();
  }

  #onFailed(cause: unknown): void {
    const requeued = this.#queue.failed();
    if (this.#state === "destroyed") return;
    const attempts = ++this.#attempt;
    const { maxRetries, baseRetryDelay, maxRetryDelay, random } = this.#config;
    if (attempts > maxRetries) {
      this.#attempt = 0;
      this.#failed += requeued.length;
      const error = new FlushError(
        FlushErrorCode.DeliveryFailed,
        `${requeued.length} change(s) could not be delivered after ${attempts} attempt(s); they stay queued and the next flush retries them. Last error: ${describeError(cause)}`,
        { cause, changes: requeued },
      );
      if (this.#state === "flushing") this.#transition("idle");
      this.#report(requeued, error, attempts);
      this.#rejectWaiters(error);
      return;
    }
    if (this.#state !== "flushing") return; // paused: resumeFlush() retries
    const delay = backoffDelay(attempts - 1, baseRetryDelay, maxRetryDelay, random);
    this.#events.emit("retry", { changes: requeued, attempt: attempts, delay, error: cause });
    if (this.#state === "flushing" && !this.#timer.armed) this.#timer.arm(delay, () => this.#deliverNext());
  }

  /** Emits `error` and `dead`; with nobody listening, logs instead, so a failure is never silent. */
  #report(changes: readonly FlushChange[], error: FlushError, attempts: number): void {
    if (this.#events.listenerCount("error") + this.#events.listenerCount("dead") === 0) {
      console.error("[kalphite] MemoryFlushEngine:", error);
      return;
    }
    const event = { changes, error, attempts };
    this.#events.emit("error", event);
    this.#events.emit("dead", event);
  }

  #resolveWaiters(): void {
    const oldest = this.#queue.minSince();
    let done = 0;
    while (done < this.#waiters.length && this.#waiters[done]!.seq < oldest) this.#waiters[done++]!.resolve();
    if (done > 0) this.#waiters = this.#waiters.slice(done);
  }

  #rejectWaiters(error: FlushError): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}
