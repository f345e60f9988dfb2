import type { FlushState } from "./types";

/*
 * The engine's life cycle. Every change of state goes through
 * `MemoryFlushEngine#transition`, which checks it against this table.
 *
 *              schedule a change           debounce fires / flush()
 *   ┌──────┐ ───────────────────▶ ┌───────────┐ ─────────────────▶ ┌──────────┐
 *   │ idle │                      │ scheduled │                    │ flushing │──┐ batch failed:
 *   └──────┘ ◀─────────────────────────────────────────────────── └──────────┘◀─┘ wait, retry
 *      ▲        queue drained, or retries spent (changes parked)        │
 *      │                                                                │
 *      │ resumeFlush(), nothing queued   ┌────────┐  pauseFlush()       │
 *      └──────────────────────────────── │ paused │ ◀───────────────────┘ (also from idle, scheduled)
 *                                        └────────┘ ──▶ flushing: resumeFlush() with changes queued
 *
 *   destroy(): any state ──▶ destroyed (terminal)
 */
export const TRANSITIONS: Readonly<Record<FlushState, readonly FlushState[]>> = {
  idle: ["scheduled", "flushing", "paused", "destroyed"],
  scheduled: ["flushing", "paused", "destroyed"],
  flushing: ["idle", "paused", "destroyed"],
  paused: ["idle", "flushing", "destroyed"],
  destroyed: [],
};
