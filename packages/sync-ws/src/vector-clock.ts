import type { VectorClock } from "./types";

/** How two clocks relate: `a` before `b`, after it, equal, or concurrent (neither saw the other). */
export type ClockOrder = "before" | "after" | "equal" | "concurrent";

/**
 * Compares two vector clocks (a missing entry counts as 0). `"before"` means
 * every entry of `a` is ≤ `b`'s and one is smaller: `b` dominates `a`.
 */
export function compareClocks(a: VectorClock, b: VectorClock): ClockOrder {
  let less = false;
  let greater = false;
  for (const key in a) {
    const x = a[key] ?? 0;
    const y = b[key] ?? 0;
    if (x < y) less = true;
    else if (x > y) greater = true;
  }
  for (const key in b) {
    if (key in a) continue;
    if ((b[key] ?? 0) > 0) less = true;
  }
  if (less && greater) return "concurrent";
  if (less) return "before";
  if (greater) return "after";
  return "equal";
}

/** Whether `a` includes everything `b` does (`a ≥ b`). */
export function dominates(a: VectorClock, b: VectorClock): boolean {
  const order = compareClocks(a, b);
  return order === "after" || order === "equal";
}

/** The least clock that dominates both: the entry-wise maximum. Zero entries are left out. */
export function mergeClocks(a: VectorClock, b: VectorClock): VectorClock {
  const out: VectorClock = {};
  for (const key in a) {
    const x = a[key] ?? 0;
    if (x > 0) out[key] = x;
  }
  for (const key in b) {
    const y = b[key] ?? 0;
    if (y > (out[key] ?? 0)) out[key] = y;
  }
  return out;
}

/** `clock` with `replica`'s entry one higher (a new event of that replica). */
export function incrementClock(clock: VectorClock, replica: string): VectorClock {
  return { ...clock, [replica]: (clock[replica] ?? 0) + 1 };
}
