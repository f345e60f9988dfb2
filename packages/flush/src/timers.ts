import type { FlushTimers } from "./types";

/**
 * The real timers and clock. Each call reads the global `setTimeout`,
 * `clearTimeout` and `Date.now` at that moment, so fake timers installed after
 * an engine was built (`vi.useFakeTimers()`) still apply to it.
 */
export const systemTimers: Required<FlushTimers> = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
  now: () => Date.now(),
};

/** Share of the exponential delay added as jitter, at most. */
const JITTER = 0.25;

/**
 * The delay before retry `retry` (0 for the first retry), in ms:
 * `base · 2^retry`, plus up to 25 % jitter drawn from `random()`, capped at
 * `max` and rounded to a whole millisecond.
 */
export function backoffDelay(retry: number, base: number, max: number, random: () => number): number {
  const exponential = base * 2 ** retry;
  const r = random();
  const jitter = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  return Math.round(Math.min(max, exponential * (1 + JITTER * jitter)));
}

/**
 * At most one pending timer on injected `FlushTimers`: arming replaces the
 * previous one. A callback that fires after `clear()` (timers that ignore
 * `clearTimeout`) does nothing.
 */
export class OneShotTimer {
  readonly #timers: FlushTimers;
  #handle: unknown;
  #armed = false;
  #token = 0;

  constructor(timers: FlushTimers) {
    this.#timers = timers;
  }

  /** Whether a callback is pending. */
  get armed(): boolean {
    return this.#armed;
  }

  /** Runs `fn` once after `ms` milliseconds, replacing any pending callback. */
  arm(ms: number, fn: () => void): void {
    this.clear();
    const token = ++this.#token;
    this.#armed = true;
    this.#handle = this.#timers.setTimeout(() => {
      if (token !== this.#token) return;
      this.#armed = false;
      this.#handle = undefined;
      fn();
    }, ms);
  }

  /** Cancels the pending callback, if any. */
  clear(): void {
    if (!this.#armed) return;
    this.#token++;
    this.#armed = false;
    this.#timers.clearTimeout(this.#handle);
    this.#handle = undefined;
  }
}
