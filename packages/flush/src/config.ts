import { FlushError, FlushErrorCode, isNonRetriable } from "./errors";
import { systemTimers } from "./timers";
import type { FlushConfig, FlushTarget, FlushTimers } from "./types";

/** A `FlushConfig` with every default applied and every value checked. */
export interface ResolvedFlushConfig {
  /** A no-op in memory-only mode, where it is never called. */
  readonly flushTarget: FlushTarget;
  readonly debounceMs: number;
  readonly maxRetries: number;
  readonly baseRetryDelay: number;
  readonly maxRetryDelay: number;
  readonly maxBatchSize: number;
  readonly maxQueueSize: number;
  readonly maxWaitMs: number;
  /** Whether a failure is temporary; a `NonRetriableError` never is. */
  readonly isRetriable: (error: unknown) => boolean;
  readonly enablePersistence: boolean;
  readonly timers: FlushTimers;
  readonly now: () => number;
  readonly random: () => number;
  readonly onListenerError: ((error: unknown, event: string) => void) | undefined;
}

/** Defaults of `FlushConfig`. */
export const FLUSH_DEFAULTS = {
  debounceMs: 100,
  maxRetries: 3,
  baseRetryDelay: 100,
  maxRetryDelay: 30_000,
  maxBatchSize: 100,
  maxQueueSize: 1_000_000,
  maxWaitMs: 1000,
  enablePersistence: true,
} as const;

const discard: FlushTarget = () => Promise.resolve();

function invalid(message: string): FlushError {
  return new FlushError(FlushErrorCode.InvalidConfig, `MemoryFlushEngine: ${message}`);
}

function show(value: unknown): string {
  return typeof value === "number" ? String(value) : typeof value === "string" ? JSON.stringify(value) : typeof value;
}

/** The longest delay `setTimeout` honours (2^31 − 1 ms, about 24.8 days); longer ones fire at once. */
const MAX_TIMER_DELAY = 2_147_483_647;

function duration(config: Record<string, unknown>, name: keyof typeof FLUSH_DEFAULTS): number {
  const value = config[name] ?? FLUSH_DEFAULTS[name];
  if (typeof value !== "number" || !(value >= 0 && value <= MAX_TIMER_DELAY)) {
    throw invalid(`${name} must be a number of milliseconds from 0 to ${MAX_TIMER_DELAY}, got ${show(value)}`);
  }
  return value;
}

function count(config: Record<string, unknown>, name: keyof typeof FLUSH_DEFAULTS, min: number): number {
  const value = config[name] ?? FLUSH_DEFAULTS[name];
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw invalid(`${name} must be an integer ≥ ${min}, got ${show(value)}`);
  }
  return value;
}

function optionalFunction<T>(config: Record<string, unknown>, name: string): T | undefined {
  const value = config[name];
  if (value !== undefined && typeof value !== "function") throw invalid(`${name} must be a function, got ${show(value)}`);
  return value as T | undefined;
}

/** Checks `config` and applies the defaults. @throws FlushError `INVALID_CONFIG` naming the bad option. */
export function resolveConfig(config: FlushConfig): ResolvedFlushConfig {
  if (typeof config !== "object" || config === null) throw invalid("config must be an object with a flushTarget");
  const raw = config as unknown as Record<string, unknown>;
  const enablePersistence = raw["enablePersistence"] ?? FLUSH_DEFAULTS.enablePersistence;
  if (typeof enablePersistence !== "boolean") throw invalid(`enablePersistence must be a boolean, got ${show(enablePersistence)}`);
  const flushTarget = optionalFunction<FlushTarget>(raw, "flushTarget");
  if (flushTarget === undefined && enablePersistence) {
    throw invalid("flushTarget is required: a function (changes: FlushChange[], context: FlushBatchContext) => Promise<void> (or set enablePersistence: false)");
  }
  const timers = raw["timers"] ?? systemTimers;
  const t = timers as Partial<Record<keyof FlushTimers, unknown>>;
  if (typeof timers !== "object" || timers === null || typeof t.setTimeout !== "function" || typeof t.clearTimeout !== "function") {
    throw invalid("timers must be an object with setTimeout(fn, ms) and clearTimeout(handle)");
  }
  if (t.now !== undefined && typeof t.now !== "function") throw invalid("timers.now must be a function returning ms since the epoch");
  const clock = timers as FlushTimers;
  const random = optionalFunction<() => number>(raw, "random");
  const now = clock.now;
  const isRetriable = optionalFunction<(error: unknown) => boolean>(raw, "isRetriable");
  return {
    flushTarget: flushTarget ?? discard,
    debounceMs: duration(raw, "debounceMs"),
    maxRetries: count(raw, "maxRetries", 0),
    baseRetryDelay: duration(raw, "baseRetryDelay"),
    maxRetryDelay: duration(raw, "maxRetryDelay"),
    maxBatchSize: count(raw, "maxBatchSize", 1),
    maxQueueSize: count(raw, "maxQueueSize", 1),
    maxWaitMs: duration(raw, "maxWaitMs"),
    isRetriable: (error) => {
      if (isNonRetriable(error)) return false;
      try {
        return isRetriable === undefined || isRetriable(error) !== false;
      } catch {
        return true; // a hook that throws cannot prove the failure permanent: retrying loses nothing
      }
    },
    enablePersistence,
    timers: clock,
    now: now === undefined ? () => Date.now() : () => now.call(clock),
    random: random ?? (() => Math.random()),
    onListenerError: optionalFunction(raw, "onListenerError"),
  };
}
