import type { BaseEntity, EntityId } from "../types";
import type { Order } from "./node-types";
import { compareIds } from "./order";

/** @internal Tuning, lowered by tests to cross chunk boundaries with few entries. */
export const pendingTuning = {
  /** A chunk is split in two once it holds this many entries (at most `LOC`). @default 64 */
  maxChunk: 64,
};
/** Locations are `chunk * LOC + offset`. */
const LOC = 1024;

/**
 * The entities waiting to enter a view (see `ArrayNode`), sorted in the
 * view's order by (key, id), with their keys. Kept in chunks of at most
 * `pendingTuning.maxChunk` so an entry costs a binary search plus a short splice however
 * many wait (thousands, in a view of a million rows): a flat sorted array
 * would shift all of them on every entry.
 *
 * Entries are addressed by a location (`chunk * LOC + offset`), valid until
 * the next `insert` or `remove`; `END` stands for "after the last entry".
 */
export class PendingRun<T extends BaseEntity> {
  static readonly END = -1;
  readonly #order: Order<T>;
  #ents: T[][] = [];
  #keys: unknown[][] = [];
  /**
   * The key and id of each chunk's last entry, side by side: the chunk-level
   * search reads these compact arrays (unboxed doubles for numeric keys)
   * instead of two dependent loads per probe into scattered chunks.
   */
  #lastKeys: unknown[] = [];
  #lastIds: EntityId[] = [];
  /** The ids of the entries. */
  readonly ids = new Set<EntityId>();
  length = 0;

  constructor(order: Order<T>) {
    this.#order = order;
  }

  entity(loc: number): T {
    return this.#ents[(loc / LOC) | 0]![loc % LOC]!;
  }

  key(loc: number): unknown {
    return this.#keys[(loc / LOC) | 0]![loc % LOC];
  }

  /** Entry at `loc` against (key, id): negative when the entry sorts first. */
  #compare(c: number, o: number, key: unknown, id: EntityId): number {
    return this.#order.compare(this.#keys[c]![o], key) || compareIds(this.#ents[c]![o]!.id, id);
  }

  /** The first entry that does not sort before (key, id), or `END`. */
  bound(key: unknown, id: EntityId): number {
    const ents = this.#ents;
    const lastKeys = this.#lastKeys;
    const lastIds = this.#lastIds;
    const order = this.#order;
    let lo = 0;
    let hi = ents.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((order.compare(lastKeys[mid], key) || compareIds(lastIds[mid]!, id)) < 0) lo = mid + 1;
      else hi = mid;
    }
    if (lo === ents.length) return PendingRun.END;
    const c = lo;
    lo = 0;
    hi = ents[c]!.length - 1; // the last one does not sort before: the answer is in [0, last]
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#compare(c, mid, key, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return c * LOC + lo;
  }

  /** The entry holding `entity` (found by its key, else by a scan), or `END` when it is not here. */
  locate(entity: T, key: unknown): number {
    const loc = this.bound(key, entity.id);
    if (loc !== PendingRun.END && this.entity(loc).id === entity.id) return loc;
    const ents = this.#ents;
    for (let c = 0; c < ents.length; c++) {
      const chunk = ents[c]!;
      for (let o = 0; o < chunk.length; o++) if (chunk[o]!.id === entity.id) return c * LOC + o;
    }
    return PendingRun.END;
  }

  /** The first entry, or -1 when there is none. */
  first(): number {
    return this.#ents.length === 0 ? -1 : 0;
  }

  /** The entry before `loc` (before `END`: the last one), or -1. */
  before(loc: number): number {
    if (loc === PendingRun.END) {
      const c = this.#ents.length - 1;
      return c < 0 ? -1 : c * LOC + this.#ents[c]!.length - 1;
    }
    const c = (loc / LOC) | 0;
    const o = loc % LOC;
    if (o > 0) return loc - 1;
    return c === 0 ? -1 : (c - 1) * LOC + this.#ents[c - 1]!.length - 1;
  }

  /** The entry after `loc`, or -1. */
  after(loc: number): number {
    const c = (loc / LOC) | 0;
    const o = loc % LOC;
    if (o + 1 < this.#ents[c]!.length) return loc + 1;
    return c + 1 < this.#ents.length ? (c + 1) * LOC : -1;
  }

  /** Inserts before `loc` (at the end for `END`). */
  insert(loc: number, entity: T, key: unknown): void {
    const ents = this.#ents;
    const keys = this.#keys;
    let c: number;
    let o: number;
    if (loc === PendingRun.END) {
      if (ents.length === 0) {
        ents.push([]);
        keys.push([]);
        // Summarised by the entry about to go in (no placeholder: numeric keys stay unboxed).
        this.#lastKeys.push(key);
        this.#lastIds.push(entity.id);
      }
      c = ents.length - 1;
      o = ents[c]!.length;
    } else {
      c = (loc / LOC) | 0;
      o = loc % LOC;
    }
    const chunk = ents[c]!;
    const chunkKeys = keys[c]!;
    if (o === chunk.length) {
      chunk.push(entity);
      chunkKeys.push(key);
    } else {
      chunk.splice(o, 0, entity);
      chunkKeys.splice(o, 0, key);
    }
    if (o === chunk.length - 1) this.#setLast(c);
    if (chunk.length >= pendingTuning.maxChunk) {
      const half = chunk.length >>> 1;
      const tail = chunk.splice(half);
      const tailKeys = chunkKeys.splice(half);
      ents.splice(c + 1, 0, tail);
      keys.splice(c + 1, 0, tailKeys);
      this.#lastKeys.splice(c + 1, 0, tailKeys[tailKeys.length - 1]);
      this.#lastIds.splice(c + 1, 0, tail[tail.length - 1]!.id);
      this.#setLast(c);
    }
    this.ids.add(entity.id);
    this.length++;
  }

  /** Removes the entry at `loc`; returns its entity. */
  remove(loc: number): T {
    const c = (loc / LOC) | 0;
    const o = loc % LOC;
    const chunk = this.#ents[c]!;
    const entity = chunk.splice(o, 1)[0]!;
    this.#keys[c]!.splice(o, 1);
    if (chunk.length === 0) {
      this.#ents.splice(c, 1);
      this.#keys.splice(c, 1);
      this.#lastKeys.splice(c, 1);
      this.#lastIds.splice(c, 1);
    } else if (o === chunk.length) {
      this.#setLast(c);
    }
    this.ids.delete(entity.id);
    this.length--;
    return entity;
  }

  /** Replaces the entry at `loc` (same place in the order). */
  set(loc: number, entity: T, key: unknown): void {
    const c = (loc / LOC) | 0;
    const o = loc % LOC;
    const ents = this.#ents[c]!;
    this.ids.delete(ents[o]!.id);
    ents[o] = entity;
    this.#keys[c]![o] = key;
    this.ids.add(entity.id);
    if (o === ents.length - 1) this.#setLast(c);
  }

  /** Refreshes the summary of chunk `c` from its last entry. */
  #setLast(c: number): void {
    const chunk = this.#ents[c]!;
    const last = chunk.length - 1;
    this.#lastKeys[c] = this.#keys[c]![last];
    this.#lastIds[c] = chunk[last]!.id;
  }

  /** Every entry, in order, as two flat arrays. */
  flatten(): { ents: T[]; keys: unknown[] } {
    const ents: T[] = [];
    const keys: unknown[] = [];
    for (let c = 0; c < this.#ents.length; c++) {
      const chunk = this.#ents[c]!;
      const chunkKeys = this.#keys[c]!;
      for (let o = 0; o < chunk.length; o++) {
        ents.push(chunk[o]!);
        keys.push(chunkKeys[o]);
      }
    }
    return { ents, keys };
  }
}
