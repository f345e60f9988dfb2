import type { BaseEntity } from "../types";
import { ArrayNode } from "./array-node";
import type { Upstream } from "./node-types";

const arraySlice = Array.prototype.slice;

/**
 * `offset(n)` and `limit(n)`: the upstream's entities at indices
 * [start, start + limit). Driven by the upstream's indices: a change outside
 * the window costs O(1); one before it shifts the window by one (the next
 * entity is pulled in from the upstream, or the last one drops out); one
 * inside it shifts at most the window. O(limit) at worst, never O(n) for a
 * finite limit.
 */
export class WindowNode<T extends BaseEntity> extends ArrayNode<T> {
  readonly usesIndices = true;
  readonly #start: number;
  readonly #limit: number;
  readonly #end: number;

  constructor(upstream: Upstream<T>, start: number, limit: number) {
    super(upstream, upstream, upstream.order, false);
    this.#start = start;
    this.#limit = limit;
    this.#end = start + limit;
    this.init(undefined);
  }

  protected compute(): T[] {
    return arraySlice.call(this.upstream.items, this.#start, this.#end) as T[];
  }

  protected rebuildCost(): number {
    return Math.min(this.#limit, this.upstream.items.length) * 2;
  }

  apply(next: T | undefined, prev: T | undefined, from: number, to: number): void {
    if (this.bulk || this.#limit === 0 || this.overBudget()) return;
    const lo = this.#start;
    const hi = this.#end;
    const upstream = this.upstream.items;
    if (from >= 0 && to >= 0) {
      if (from === to) {
        if (from >= lo && from < hi) this.replaceAt(from - lo, next!);
        return;
      }
      if ((from < lo && to < lo) || (from >= hi && to >= hi)) return; // shifts that cancel out
      if (from >= lo && from < hi && to >= lo && to < hi) {
        this.moveTo(from - lo, to - lo, next!);
        return;
      }
      // Across the window's edge: a removal, then an insertion. In between,
      // the upstream is its current array without `next`.
      this.#removed(from, (i) => upstream[i < to ? i : i + 1]!, upstream.length - 1);
      this.#inserted(to, next!, upstream);
    } else if (from >= 0) {
      this.#removed(from, (i) => upstream[i]!, upstream.length);
    } else if (to >= 0) {
      this.#inserted(to, next!, upstream);
    }
  }

  /** The upstream lost its entity at `from`; `after(i)` reads the upstream as it is then. */
  #removed(from: number, after: (i: number) => T, length: number): void {
    const lo = this.#start;
    const hi = this.#end;
    const a = this.array;
    if (from >= hi) return;
    if (from >= lo) this.removeAt(from - lo);
    else if (a.length > 0) this.removeAt(0); // everything slid left: the first one left the window
    else return;
    if (hi - 1 < length && a.length < this.#limit) this.insertAt(a.length, after(hi - 1)); // and the next one came in
  }

  /** The upstream gained `entity` at `to`; `upstream` is its current array. */
  #inserted(to: number, entity: T, upstream: readonly T[]): void {
    const lo = this.#start;
    const a = this.array;
    if (to >= this.#end) return;
    if (to >= lo) this.insertAt(to - lo, entity);
    else if (upstream.length > lo) this.insertAt(0, upstream[lo]!); // everything slid right: one came in first
    else return;
    if (a.length > this.#limit) this.removeAt(a.length - 1);
  }
}
