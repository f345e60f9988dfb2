import { setImmediate as macrotask } from "node:timers/promises";

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  readonly group: TimerGroup;
  cancelled: boolean;
}

/** The timers one simulated process sees (the `timers` option of the engines): `kill()` cancels them all. */
export interface TimerGroup {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
  /** Cancels every timer of the group and ignores later ones (the process died). */
  kill(): void;
  readonly dead: boolean;
}

/** Lets every queued promise job, `process.nextTick` and stream callback run (one macrotask turn). */
export const settle = (): Promise<void> => macrotask();

/**
 * A fake clock for a whole simulation: one ordered timer queue (by due time,
 * then creation order), so every run of the same schedule fires the same
 * callbacks in the same order. Between two timers every pending promise job
 * runs (`settle`), which is what makes async code deterministic here: nothing
 * in a simulation waits on real I/O.
 */
export class SimClock {
  #now: number;
  #seq = 0;
  #queue: Timer[] = [];
  /** Timers fired so far. */
  fired = 0;
  /** What timer callbacks threw (a simulated process's uncaught error). */
  readonly errors: unknown[] = [];

  /** @param start ms since the epoch. @default 1_700_000_000_000 */
  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** A new group of timers (one per simulated process incarnation). */
  group(): TimerGroup {
    const clock = this;
    let dead = false;
    const mine = new Set<Timer>();
    const group: TimerGroup = {
      setTimeout(fn, ms) {
        const timer: Timer = { at: clock.#now + Math.max(0, Number.isFinite(ms) ? ms : 0), seq: clock.#seq++, fn, group, cancelled: dead };
        if (!dead) {
          mine.add(timer);
          clock.#insert(timer);
        }
        return timer;
      },
      clearTimeout(handle) {
        const timer = handle as Timer | undefined;
        if (timer && typeof timer === "object" && "cancelled" in timer) {
          timer.cancelled = true;
          mine.delete(timer);
        }
      },
      now: () => clock.#now,
      kill() {
        dead = true;
        for (const timer of mine) timer.cancelled = true;
        mine.clear();
      },
      get dead() {
        return dead;
      },
    };
    const fire = (timer: Timer) => mine.delete(timer);
    groupFire.set(group, fire);
    return group;
  }

  #insert(timer: Timer): void {
    // Binary search on (at, seq): timers mostly arrive in order, so this stays cheap.
    const q = this.#queue;
    let lo = 0;
    let hi = q.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = q[mid] as Timer;
      if (m.at < timer.at || (m.at === timer.at && m.seq < timer.seq)) lo = mid + 1;
      else hi = mid;
    }
    q.splice(lo, 0, timer);
  }

  /** Due time of the next live timer, or `undefined`. */
  next(): number | undefined {
    while (this.#queue.length > 0 && (this.#queue[0] as Timer).cancelled) this.#queue.shift();
    return this.#queue[0]?.at;
  }

  /**
   * Fires timers in order until the clock reaches `time` (or `until()` holds
   * after a timer), settling promise jobs after each; the clock ends at
   * `time` unless stopped early.
   * @returns `true` when `until` stopped it
   */
  async runUntil(time: number, until?: () => boolean): Promise<boolean> {
    await settle();
    if (until?.()) return true;
    for (;;) {
      const at = this.next();
      if (at === undefined || at > time) break;
      const timer = this.#queue.shift() as Timer;
      this.#now = Math.max(this.#now, timer.at);
      groupFire.get(timer.group)?.(timer);
      this.fired++;
      try {
        timer.fn();
      } catch (error) {
        this.errors.push(error);
      }
      await settle();
      if (until?.()) return true;
    }
    this.#now = Math.max(this.#now, time);
    await settle();
    return until?.() ?? false;
  }

  /** `runUntil(now + ms)`. */
  advance(ms: number, until?: () => boolean): Promise<boolean> {
    return this.runUntil(this.#now + ms, until);
  }
}

const groupFire = new WeakMap<TimerGroup, (timer: Timer) => void>();
