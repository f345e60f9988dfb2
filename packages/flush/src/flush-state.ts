import type { FlushState } from "./types";

/**
 * The engine's life cycle: the states each state may move to. Every change of
 * state goes through `MemoryFlushEngine#transition`, which checks it here.
 *
 * ```
 *            a change is scheduled           the debounce timer fires, or flush()
 *  ┌──────┐ ───────────────────────▶ ┌───────────┐ ──────────────────────────▶ ┌──────────┐ ◀─┐ a batch failed:
 *  │ idle │                          │ scheduled │                             │ flushing │   │ wait, then retry
 *  └──────┘ ◀───────────────────────────────────────────────────────────────── └──────────┘ ──┘ (same state)
 *     ▲  │     the queue is drained, or the retries are spent (changes parked)   ▲    │
 *     │  ├─ flush() with parked changes ─────────────────────────────────────────┘    │
 *     │  │                                                                            │
 *     │  └─ pauseFlush() ─▶ ┌────────┐ ◀─ pauseFlush() (also from scheduled) ─────────┘
 *     └─ resumeFlush(), ─── │ paused │ ── resumeFlush(), changes queued ─▶ flushing
 *        nothing queued     └────────┘
 *
 *  destroy(): any state ─▶ destroyed (terminal)
 * ```
 */
export const TRANSITIONS: Readonly<Record<FlushState, readonly FlushState[]>> = {
  idle: ["scheduled", "flushing", "paused", "destroyed"],
  scheduled: ["flushing", "paused", "destroyed"],
  flushing: ["idle", "paused", "destroyed"],
  paused: ["idle", "flushing", "destroyed"],
  destroyed: [],
};
