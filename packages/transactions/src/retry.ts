import { TransactionsError, TransactionsErrorCode } from "./errors";
import type { RetryOptions } from "./types";

/** Retry options with every default filled in. */
export type ResolvedRetry = Required<Omit<RetryOptions, "shouldRetry">> & Pick<RetryOptions, "shouldRetry">;

/** The defaults: 4 retries (5 attempts), 1 s doubling to at most 30 s, 25 % jitter. */
export const DEFAULT_RETRY: ResolvedRetry = {
  retries: 4,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  jitter: 0.25,
  random: Math.random,
};

const nonNegative = (name: string, value: number | undefined, integer = false) => {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new TransactionsError(
      TransactionsErrorCode.InvalidConfig,
      `retry.${name} must be a ${integer ? "non-negative integer" : "non-negative finite number"}, got ${String(value)}`,
    );
  }
};

/** `options` validated, with defaults for what is missing. */
export function resolveRetry(options: RetryOptions | undefined): ResolvedRetry {
  if (options === undefined) return DEFAULT_RETRY;
  nonNegative("retries", options.retries, true);
  nonNegative("baseDelayMs", options.baseDelayMs);
  nonNegative("maxDelayMs", options.maxDelayMs);
  nonNegative("jitter", options.jitter);
  if (options.jitter !== undefined && options.jitter > 1) {
    throw new TransactionsError(TransactionsErrorCode.InvalidConfig, `retry.jitter must be between 0 and 1, got ${options.jitter}`);
  }
  const resolved: ResolvedRetry = {
    retries: options.retries ?? DEFAULT_RETRY.retries,
    baseDelayMs: options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
    maxDelayMs: options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
    jitter: options.jitter ?? DEFAULT_RETRY.jitter,
    random: options.random ?? DEFAULT_RETRY.random,
  };
  if (options.shouldRetry !== undefined) resolved.shouldRetry = options.shouldRetry;
  return resolved;
}

/**
 * The delay before retry number `retry` (0 for the first retry), in ms:
 * `baseDelayMs · 2^retry` plus up to `jitter` of it at random, capped at
 * `maxDelayMs`, rounded to a whole millisecond.
 */
export function backoffDelay(retry: number, options: ResolvedRetry): number {
  const exponential = options.baseDelayMs * 2 ** retry;
  const r = options.random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  return Math.round(Math.min(options.maxDelayMs, exponential * (1 + options.jitter * unit)));
}
