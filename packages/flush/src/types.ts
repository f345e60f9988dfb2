import type { BaseEntity, BatchMeta, ChangeOrigin, EntityId } from "@kalphite/store";
import type { FlushError } from "./errors";

/** One change on its way to durable storage. Identity is `(entityType, entityId)`. */
export interface FlushChange {
  readonly operation: "upsert" | "delete";
  readonly entityId: EntityId;
  readonly entityType: string;
  /** The entity's latest state; present for upserts, absent for deletes. */
  readonly entity?: BaseEntity | undefined;
  /** When the change was (last) scheduled, in ms since the epoch. */
  readonly timestamp: number;
  /** Where the (latest coalesced) change came from. @default "local" for `scheduleFlush`/`scheduleDelete` */
  readonly origin: ChangeOrigin;
  /** The store batch the (latest coalesced) change belongs to. */
  readonly batchId: string;
}

/**
 * What a target call carries besides its changes: the ids of the store
 * batches it completes and their metadata, merged in batch order (a later
 * batch's key wins). A target that keeps metadata (the PGlite one) writes it
 * in the same storage transaction as the changes.
 */
export interface FlushBatchContext {
  readonly batchIds: readonly string[];
  readonly meta: BatchMeta;
}

/**
 * Where calls go: applies every change of the call and its `context.meta`
 * durably, all or nothing, in order (the last change of a `(type, id)` wins),
 * and resolves; or rejects: with a temporary failure the engine retries the
 * call, with a `NonRetriableError` (or what `isRetriable` calls permanent) it
 * isolates the refused store batches into the dead-letter list.
 */
export type FlushTarget = (changes: FlushChange[], context: FlushBatchContext) => Promise<void>;

/**
 * The timers and clock the engine uses. Tests hand in fakes; the default
 * (`systemTimers`) reads the global `setTimeout`/`clearTimeout`/`Date.now`
 * at call time, so `vi.useFakeTimers()` also works on an engine built with
 * defaults.
 */
export interface FlushTimers {
  /** Runs `fn` once after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer made by `setTimeout`; a handle that already fired is ignored. */
  clearTimeout(handle: unknown): void;
  /** The current time in ms since the epoch, for `FlushChange.timestamp`. @default Date.now() */
  now?(): number;
}

/** Options of `new MemoryFlushEngine(config)`. Every number is validated at construction. */
export interface FlushConfig {
  /** Receives the calls: whole store batches with their context. Required unless `enablePersistence` is `false`. */
  flushTarget: FlushTarget;
  /** How long changes accumulate (and coalesce) before a batch goes out, in ms; one window per batch of writes, not per change. @default 100 */
  debounceMs?: number | undefined;
  /** How many times a failed batch is retried before the failure is reported (the changes stay queued). @default 3 */
  maxRetries?: number | undefined;
  /** Delay before the first retry, in ms; retry `n` (from 0) waits `baseRetryDelay · 2^n`, plus up to 25 % jitter. @default 100 */
  baseRetryDelay?: number | undefined;
  /** Upper bound of one retry delay, in ms, jitter included. @default 30000 */
  maxRetryDelay?: number | undefined;
  /**
   * How many changes one call of the target groups, counted in whole store
   * batches (an integer ≥ 1): batches are added to a call while its total stays
   * within the limit. A store batch is never split: one larger than the limit
   * (or batches that must travel together because they coalesced) goes in a
   * call of its own, whatever its size.
   * @default 100
   */
  maxBatchSize?: number | undefined;
  /**
   * The longest a change waits before its batch is handed to the target while
   * writes keep coming, in ms (the debounce window closes at
   * `min(debounceMs, maxWaitMs)` after it opened, never later). A crash
   * (`kill -9`, power loss) loses at most about `maxWaitMs` of acknowledged
   * writes plus the one target call in flight, as long as the target accepts them.
   * @default 1000
   */
  maxWaitMs?: number | undefined;
  /**
   * Decides whether a failure of the target is temporary (`true`: back off
   * and retry) or permanent (`false`: isolate the offending store batches,
   * deliver the rest, dead-letter what cannot be delivered). A
   * `NonRetriableError` is always permanent.
   * @default () => true (only a NonRetriableError is permanent)
   */
  isRetriable?: ((error: unknown) => boolean) | undefined;
  /**
   * Most distinct entities queued at once (an integer ≥ 1). Scheduling a new
   * entity past it throws a `FlushError` with code `"QUEUE_FULL"` (so a store
   * write is refused); a change to an entity already queued always coalesces.
   * @default 1_000_000
   */
  maxQueueSize?: number | undefined;
  /** `false` is memory-only mode: changes are accepted and discarded, the target is never called. @default true */
  enablePersistence?: boolean | undefined;
  /** Timers and clock. @default systemTimers (the globals, read at call time) */
  timers?: FlushTimers | undefined;
  /** Source of retry jitter, a number in [0, 1); inject `() => 0` for exact delays. @default Math.random (read at call time) */
  random?: (() => number) | undefined;
  /** Called when an event listener throws; the other listeners still run. @default logs with console.error */
  onListenerError?: ((error: unknown, event: string) => void) | undefined;
}

/**
 * The engine's state.
 * - `idle`: no timer armed, nothing in flight (failed changes may be parked in the queue).
 * - `scheduled`: changes wait for the debounce window to close.
 * - `flushing`: a delivery cycle is under way (a batch in flight, or waiting to retry one).
 * - `paused`: `pauseFlush()` holds delivery; an in-flight batch still completes.
 * - `destroyed`: terminal; scheduling throws.
 */
export type FlushState = "idle" | "scheduled" | "flushing" | "paused" | "destroyed";

/** Payload of `flushed`: a call the target accepted. */
export interface FlushedEvent {
  /** The changes of the call, as the target received them. */
  readonly changes: readonly FlushChange[];
  /** The store batches the call completed, in order (as `FlushBatchContext.batchIds`). */
  readonly batchIds: readonly string[];
  /** Their metadata, merged in batch order (as `FlushBatchContext.meta`). */
  readonly meta: BatchMeta;
  /** Which attempt succeeded: 1 for the first try, 2 for the first retry… */
  readonly attempt: number;
}

/** Payload of `retry`: a batch failed and will be tried again after `delay`. */
export interface RetryEvent {
  readonly changes: readonly FlushChange[];
  /** The retry about to happen, from 1 to `maxRetries`. */
  readonly attempt: number;
  /** Milliseconds until the retry, jitter included. */
  readonly delay: number;
  /** What the target threw or rejected with. */
  readonly error: unknown;
}

/**
 * Payload of `error`: changes that could not be delivered. After the retries
 * are spent (`error.code === "DELIVERY_FAILED"`) they stay queued and the next
 * flush tries them again; when the engine is destroyed with changes still
 * undelivered (`"DESTROYED"`), or `close({ timeoutMs })` expires
 * (`"CLOSE_TIMEOUT"`), they are handed over here; changes the target refused
 * for good (`"DEAD_LETTER"`) are also reported through `dead`.
 */
export interface FlushFailureEvent {
  readonly changes: readonly FlushChange[];
  /** Carries the code and, as `cause`, the target's last error. */
  readonly error: FlushError;
  /** How many times the batch was tried (0 for undelivered changes reported by `destroy()`). */
  readonly attempts: number;
}

/** The engine's events and their payloads, for `engine.on(event, listener)`. */
export interface FlushEvents {
  /** A batch was delivered. */
  flushed: FlushedEvent;
  /** A batch failed and a retry is scheduled. */
  retry: RetryEvent;
  /** Changes could not be delivered (retries spent, dead-lettered, close timed out, destroyed first); nothing is dropped silently. */
  error: FlushFailureEvent;
  /** Changes the target refused for good were moved to the dead-letter list (also reported through `error`, just before). */
  dead: DeadLetterEvent;
}

/**
 * One change the target refused for good (a `NonRetriableError`, or a failure
 * `isRetriable` calls permanent), kept in the dead-letter list. The store
 * batch it belongs to is never half-delivered: every change of that batch is
 * dead-lettered with it, and `offending` marks the one(s) the target named.
 */
export interface DeadLetter {
  /** `flushKey(entityType, entityId)`: what `discardDeadLetters([key])` takes. */
  readonly key: string;
  readonly entityType: string;
  readonly entityId: EntityId;
  /** The change as it was sent. */
  readonly change: FlushChange;
  /** The store batch of the change. */
  readonly batchId: string;
  /** Every store batch that was dead-lettered together with this one (they had coalesced into one unit), in order. */
  readonly batchIds: readonly string[];
  /** Whether the target named this change as the one it refuses (its `NonRetriableError.changes`, or the only change of the unit). */
  readonly offending: boolean;
  /** A `FlushError` `DEAD_LETTER` whose message names the entity (the `reason`), with what the target threw or rejected with as `cause`. */
  readonly error: FlushError;
  /** A message naming the entity, its batch and the target's reason. */
  readonly reason: string;
  /** When it was dead-lettered, in ms since the epoch (from the engine's clock). */
  readonly deadAt: number;
}

/** Payload of `dead`: changes just moved to the dead-letter list. */
export interface DeadLetterEvent extends FlushFailureEvent {
  readonly deadLetters: readonly DeadLetter[];
}

/** Names a dead-lettered entity for `discardDeadLetters`: `{ entityType, entityId }` or its `flushKey(entityType, entityId)`. */
export type DeadLetterKey = string | { readonly entityType: string; readonly entityId: EntityId };

/** Options of `close(options)`. */
export interface CloseOptions {
  /**
   * The longest `close()` waits for delivery, in ms. When it expires, `close()`
   * rejects with a `FlushError` `CLOSE_TIMEOUT` listing the undelivered
   * changes (also reported through `error`); the engine stays open with its
   * queue. @default no limit (wait as long as delivery takes)
   */
  timeoutMs?: number | undefined;
}

/** Counters since the engine was built, in changes (not batches) unless stated. */
export interface FlushStats {
  /** Changes the target accepted. */
  readonly delivered: number;
  /** Change deliveries that were re-attempted after a failure. */
  readonly retried: number;
  /** Changes whose retries were spent (each time it happened); they stayed queued. */
  readonly failed: number;
  /** Distinct entities currently queued: pending, in flight or waiting to retry. */
  readonly queued: number;
  /** Calls of the target that succeeded. */
  readonly batches: number;
  /** Changes currently in the dead-letter list. */
  readonly deadLetters: number;
}
