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
 * Where batches go: applies every change of the batch durably (all or nothing)
 * and resolves, or rejects so the engine retries the batch.
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
  /** Receives the batches. Required unless `enablePersistence` is `false`. */
  flushTarget: FlushTarget;
  /** How long changes accumulate (and coalesce) before a batch goes out, in ms; one window per batch of writes, not per change. @default 100 */
  debounceMs?: number | undefined;
  /** How many times a failed batch is retried before the failure is reported (the changes stay queued). @default 3 */
  maxRetries?: number | undefined;
  /** Delay before the first retry, in ms; retry `n` (from 0) waits `baseRetryDelay · 2^n`, plus up to 25 % jitter. @default 100 */
  baseRetryDelay?: number | undefined;
  /** Upper bound of one retry delay, in ms, jitter included. @default 30000 */
  maxRetryDelay?: number | undefined;
  /** Most changes in one call of the target (an integer ≥ 1). @default 100 */
  maxBatchSize?: number | undefined;
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

/** Payload of `flushed`: a batch the target accepted. */
export interface FlushedEvent {
  /** The changes of the batch, as the target received them. */
  readonly changes: readonly FlushChange[];
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
 * Payload of `error` and `dead`: changes that could not be delivered. After
 * the retries are spent (`error.code === "DELIVERY_FAILED"`) they stay queued
 * and the next flush tries them again; when the engine is destroyed with
 * changes still undelivered (`"DESTROYED"`) they are handed over here.
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
  /** Changes could not be delivered (retries spent, or destroyed first); nothing is dropped silently. */
  error: FlushFailureEvent;
  /** The same report as `error`, at the same moment, under the dead-letter name; subscribe to either. */
  dead: FlushFailureEvent;
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
  /** Batches the target accepted. */
  readonly batches: number;
}
