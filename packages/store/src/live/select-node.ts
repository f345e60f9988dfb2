import type { BaseEntity } from "../types";
import { ArrayNode } from "./array-node";
import type { Order, Parent, Upstream } from "./node-types";
import { compareIds, sortInPlace } from "./order";

const arrayFilter = Array.prototype.filter;

/** Below this many rows a search is binary; before that, interpolation rounds (a guess and a probe `BRACKET` rows beyond it). */
const INTERPOLATION_MIN = 64;
const INTERPOLATION_ROUNDS = 4;
const BRACKET = 16;
const arraySlice = Array.prototype.slice;

/**
 * `filter(predicate)` and `orderBy(key)` (and a group of `groupBy`): keeps the
 * upstream's entities that pass `predicate` (all when it is undefined), in
 * `order` — the upstream's, or its own for `orderBy`.
 *
 * A change costs O(log n) to find the entity (binary search on the order)
 * plus the shift of the span between its old and new places; an update that
 * keeps its place among its neighbours is replaced in place, O(1) after the
 * search.
 */
export class SelectNode<T extends BaseEntity> extends ArrayNode<T> {
  readonly #predicate: ((entity: T) => unknown) | undefined;
  readonly #sorts: boolean;
  /** Contents handed over for the next rebuild (a group's members, sorted out by its groupBy). */
  #prepared: T[] | undefined;

  constructor(
    upstream: Upstream<T>,
    order: Order<T>,
    predicate: ((entity: T) => unknown) | undefined,
    options: { parent?: Parent<T>; owned?: boolean; initial?: T[] } = {},
  ) {
    // Keys kept beside the array (see ArrayNode): a search reads a compact array (unboxed
    // doubles for numeric keys) instead of one entity, or one hash lookup, per probe.
    super(upstream, options.parent ?? upstream, order, options.owned ?? false, true);
    this.#predicate = predicate;
    this.#sorts = order !== upstream.order;
    this.init(options.initial);
  }

  /** Rebuilds from `contents` at the end of the batch instead of scanning the upstream. */
  prepare(contents: T[]): void {
    this.#prepared = contents;
    this.enterBulk();
  }

  protected compute(): T[] {
    const prepared = this.#prepared;
    if (prepared !== undefined) {
      this.#prepared = undefined;
      return prepared;
    }
    const predicate = this.#predicate;
    const items = this.upstream.items;
    const out = (predicate === undefined ? arraySlice.call(items) : arrayFilter.call(items, (entity: T) => predicate(entity))) as T[];
    if (this.#sorts) sortInPlace(out, this.order);
    return out;
  }

  protected rebuildCost(): number {
    const n = this.upstream.items.length;
    return this.#sorts ? n * Math.log2(n + 2) * 8 : n * 4;
  }

  apply(next: T | undefined, prev: T | undefined): void {
    if (this.bulk || this.overBudget()) return;
    const predicate = this.#predicate;
    const wasIn = prev !== undefined && (predicate === undefined || Boolean(predicate(prev)));
    const isIn = next !== undefined && (predicate === undefined || Boolean(predicate(next)));
    if (this.lazy) {
      this.#applyLazily(next, prev, wasIn, isIn);
      return;
    }
    if (!wasIn) {
      if (isIn) this.#insert(next!);
      return;
    }
    const i = this.#find(prev!);
    if (i < 0) {
      if (isIn) this.#insert(next!); // not where its predicate said (an impure one): heal
      return;
    }
    if (!isIn) {
      this.removeAt(i);
      return;
    }
    const j = this.#placeAgain(i, next!);
    if (j === i) this.replaceAt(i, next!);
    else this.moveTo(i, j, next!);
  }

  /**
   * The same change with entries and exits deferred: an entity that enters
   * waits among the pending entries, one that leaves is marked, an update
   * that keeps its key is replaced in place, one whose key changed leaves
   * and enters. O(log n) plus O(log w) for the w pending entries (a chunked
   * sorted run); the merge into the array happens once, at the next read
   * (or once the pending limit, about n/16, is passed).
   */
  #applyLazily(next: T | undefined, prev: T | undefined, wasIn: boolean, isIn: boolean): void {
    if (!wasIn) {
      if (isIn) this.deferInsert(next!);
      return;
    }
    const pending = this.isPending(prev!.id);
    const i = pending ? -1 : this.#find(prev!);
    if (!pending && (i < 0 || this.isPendingExit(i))) {
      if (isIn) this.deferInsert(next!); // not where its predicate said (an impure one): heal
      return;
    }
    if (isIn && (this.order.compare(this.order.key(prev!), this.order.key(next!)) === 0 || this.staysInPlace(prev!, next!, i))) {
      // Same key, or a new one that keeps it between its neighbours: replaced in place, not moved.
      if (pending) this.replacePendingKey(prev!, next!);
      else this.replaceAt(i, next!);
      return;
    }
    if (pending) this.deferRemovePending(prev!);
    else this.deferRemoveAt(i);
    if (isIn) this.deferInsert(next!);
  }

  #insert(entity: T): void {
    const n = this.array.length;
    const key = this.order.key(entity);
    // Appending is the common case (new entities in collection order, loads in key order).
    if (n === 0 || this.#compareAt(n - 1, key, entity.id) < 0) this.insertAt(n, entity);
    else this.insertAt(this.#lowerBound(0, n - 1, key, entity.id), entity);
  }

  #find(entity: T): number {
    const a = this.array;
    const i = this.#lowerBound(0, a.length, this.order.key(entity), entity.id);
    return a[i]?.id === entity.id ? i : this.scanFor(entity.id);
  }

  /** Where `entity` belongs once the one at `i` (its previous version) is taken out. */
  #placeAgain(i: number, entity: T): number {
    const n = this.array.length;
    const key = this.order.key(entity);
    const id = entity.id;
    if (i > 0 && this.#compareAt(i - 1, key, id) > 0) return this.#lowerBound(0, i, key, id);
    if (i < n - 1 && this.#compareAt(i + 1, key, id) < 0) return this.#lowerBound(i + 1, n, key, id) - 1;
    return i;
  }

  /**
   * The first index in [lo, hi) whose entity sorts after (key, id), or hi.
   * Numeric keys (sequence numbers, timestamps) are usually spread evenly:
   * an interpolation probe guesses the place and a second probe a few rows
   * beyond the guess tries to bracket it; when that fails (a dense cluster of
   * keys skews the guess) the next round interpolates again from the narrowed
   * ends. A search in a view of a million rows then touches a few cache lines
   * near the answer instead of twenty scattered ones. Any key mix stays
   * correct: every probe only narrows [lo, hi) by a comparison.
   */
  #lowerBound(lo: number, hi: number, key: unknown, id: string): number {
    for (let round = 0; round < INTERPOLATION_ROUNDS && typeof key === "number" && hi - lo > INTERPOLATION_MIN; round++) {
      const low = this.keyAt(lo);
      const high = this.keyAt(hi - 1);
      const fraction = typeof low === "number" && typeof high === "number" && low !== high ? (key - low) / (high - low) : NaN;
      if (!(fraction >= 0 && fraction <= 1)) break;
      const guess = lo + Math.floor(fraction * (hi - 1 - lo));
      if (this.#compareAt(guess, key, id) < 0) {
        lo = guess + 1;
        const probe = guess + BRACKET;
        if (probe >= hi) break;
        if (this.#compareAt(probe, key, id) >= 0) {
          hi = probe;
          break;
        }
        lo = probe + 1;
      } else {
        hi = guess;
        const probe = guess - BRACKET;
        if (probe < lo) break;
        if (this.#compareAt(probe, key, id) < 0) {
          lo = probe + 1;
          break;
        }
        hi = probe;
      }
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#compareAt(mid, key, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The entity at `i` against (key, id); its id is read only on a tie. */
  #compareAt(i: number, key: unknown, id: string): number {
    return this.order.compare(this.keyAt(i), key) || compareIds(this.array[i]!.id, id);
  }
}
