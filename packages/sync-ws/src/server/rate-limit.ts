/** A per-connection rate limit: at most `maxMessages` frames per `intervalMs` (a token bucket). */
export interface RateLimit {
  /** Frames allowed in one interval (also the burst). @default 1000 */
  maxMessages: number;
  /** The interval, ms. @default 1000 */
  intervalMs: number;
}

/** A token bucket refilled continuously at `maxMessages / intervalMs`. */
export class TokenBucket {
  readonly #capacity: number;
  readonly #perMs: number;
  readonly #now: () => number;
  #tokens: number;
  #at: number;

  constructor(limit: RateLimit, now: () => number) {
    this.#capacity = limit.maxMessages;
    this.#perMs = limit.maxMessages / limit.intervalMs;
    this.#now = now;
    this.#tokens = limit.maxMessages;
    this.#at = now();
  }

  /** Takes one token; returns 0 when it could, else the ms until one is available (nothing taken). */
  take(): number {
    const now = this.#now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#at) * this.#perMs);
    this.#at = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.#tokens) / this.#perMs));
  }
}
