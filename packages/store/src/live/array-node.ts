import type { BaseEntity, EntityId } from "../types";
import { changeFromRebuild, changeFromTracks, track, type Track } from "./change-set";
import { argumentError } from "./live-errors";
import { LiveNode } from "./live-node";
import type { LiveChange, LiveView } from "./live-types";
import type { Consumer, Order, Parent, Upstream } from "./node-types";
import { compareIds } from "./order";
import { PendingRun } from "./pending-run";
import { createViewArray } from "./view-array";
import type { Cursor, ViewHost } from "./view-host";

const arraySlice = Array.prototype.slice;

/**
 * Structural edits (entries and exits) not yet applied to a node's raw
 * array: the entities that entered, sorted in the node's order with their
 * keys, and the raw indices of the ones that left. The array a reader sees
 * is always current: any read but `length` and the first rows applies them
 * first.
 */
interface PendingEdits<T extends BaseEntity> {
  /** Entries, sorted in the node's order, with their keys. */
  readonly ins: PendingRun<T>;
  /** Raw indices of the exits. */
  readonly del: Set<number>;
}

/**
 * @internal How many pending edits a node holds before it applies them:
 * applying is one pass over the array, so the limit grows with the array (a
 * pass then costs about `share` element moves per edit at any size), from
 * `min` up to `max`. Lowered by tests to cross the limits with few rows.
 */
export const lazyTuning = {
  /** @default 2048 */
  min: 2048,
  /** @default 65536 */
  max: 1 << 16,
  /** @default 16 */
  share: 16,
};

/**
 * A node whose result is a live view (`filter`, `orderBy`, `limit`, …): the
 * raw array, the primitive edits on it (each one recorded for the batch's
 * change and passed on to the views built on this one), and flushing.
 * Subclasses decide which edits a change causes, and how to rebuild.
 */
export abstract class ArrayNode<T extends BaseEntity> extends LiveNode<T> implements ViewHost<T> {
  readonly array: T[];
  readonly view: LiveView<T>;
  readonly order: Order<T>;
  readonly label: string;
  /** This batch's changes, by id. */
  #tracks: Map<EntityId, Track<T>> | undefined;
  /** Reads in progress (loops over the view); handed a snapshot before the next edit. */
  #cursors: Cursor<T>[] = [];
  /**
   * `ranks[i]` is `order.key(array[i])`, kept beside the array (filters and
   * sorts): a search then reads one compact array (unboxed doubles when the
   * keys are numbers) instead of an entity, or a hash lookup, per probe.
   */
  readonly #ranks: unknown[] | undefined;
  /** The source's `round` in which this view last notified a change. */
  changedRound = -1;
  /** Entries and exits not applied to `array` yet (see `PendingEdits`). */
  #pending: PendingEdits<T> | undefined;
  /** Children that read this node's indices (windows): while any is attached, edits apply at once. */
  #indexChildren = 0;
  /** Installs or removes the view's read trap (set by `createViewArray`). */
  readonly #setLazy: (lazy: boolean) => void;

  constructor(upstream: Upstream<T>, parent: Parent<T>, order: Order<T>, owned: boolean, ranked = false) {
    super(upstream, parent, owned);
    this.order = order;
    this.#ranks = ranked ? [] : undefined;
    this.label = `live view of store.${this.source.state.type}`;
    ({ array: this.array, view: this.view, setLazy: this.#setLazy } = createViewArray<T>(this));
  }

  /** The current contents (pending edits applied first). */
  get items(): readonly T[] {
    if (this.#pending !== undefined) this.settle();
    return this.array;
  }

  /** The number of entities in the view, pending edits included. */
  get size(): number {
    const p = this.#pending;
    return p === undefined ? this.array.length : this.array.length - p.del.size + p.ins.length;
  }

  /** Whether the node holds edits not applied to `array` yet. */
  get pending(): boolean {
    return this.#pending !== undefined;
  }

  /** Whether entries and exits may wait (no child reads indices, not rebuilding). */
  protected get lazy(): boolean {
    return this.#indexChildren === 0 && !this.bulk;
  }

  override attach(child: Consumer<T>): void {
    if (child.usesIndices === true) {
      this.settle();
      this.#indexChildren++;
    }
    super.attach(child);
  }

  override detach(child: Consumer<T>): void {
    if (child.usesIndices === true && this.children.has(child)) this.#indexChildren--;
    super.detach(child);
  }

  override enterBulk(): void {
    // A rebuild compares with what the view held when it stopped: that must be applied.
    this.settle();
    super.enterBulk();
  }

  get stale(): boolean {
    return this.bulk;
  }

  /** The order's key of the entity at `i`. */
  protected keyAt(i: number): unknown {
    return this.#ranks !== undefined ? this.#ranks[i] : this.order.key(this.array[i]!);
  }

  /** The contents computed from scratch from the upstream. */
  protected abstract compute(): T[];

  /** Fills the view (at construction: `initial`, or computed) and joins the graph. */
  protected init(initial: T[] | undefined): void {
    try {
      this.#fill(initial ?? this.compute());
    } catch (error) {
      this.release();
      throw error;
    }
    if (this.upstream.stale) {
      this.bulk = true; // built from contents about to be rebuilt
      this.markDirty();
    }
    this.parent.attach(this);
  }

  // ---- primitive edits: mutate, record, pass on ----------------------------

  protected insertAt(i: number, entity: T): void {
    this.#beforeWrite();
    const a = this.array;
    insertInto(a, i, entity);
    const ranks = this.#ranks;
    if (ranks !== undefined) insertInto(ranks, i, this.order.key(entity));
    this.work += a.length - i + 16;
    this.#record(entity, undefined, -1, i);
  }

  protected removeAt(i: number): void {
    this.#beforeWrite();
    const a = this.array;
    const prev = a[i]!;
    const last = a.length - 1;
    removeFrom(a, i);
    const ranks = this.#ranks;
    if (ranks !== undefined) removeFrom(ranks, i);
    this.work += last - i + 16;
    this.#record(undefined, prev, i, -1);
  }

  protected replaceAt(i: number, entity: T): void {
    this.#beforeWrite();
    const prev = this.array[i]!;
    this.array[i] = entity;
    if (this.#ranks !== undefined) this.#ranks[i] = this.order.key(entity);
    this.work += 16;
    this.#record(entity, prev, i, i);
  }

  /** Moves the entity at `from` to `to` (its index afterwards), shifting only the span between. */
  protected moveTo(from: number, to: number, entity: T): void {
    this.#beforeWrite();
    const a = this.array;
    const prev = a[from]!;
    moveWithin(a, from, to, entity);
    const ranks = this.#ranks;
    if (ranks !== undefined) moveWithin(ranks, from, to, this.order.key(entity));
    this.work += Math.abs(to - from) + 16;
    this.#record(entity, prev, from, to);
  }

  // ---- deferred entries and exits (lazy mode) ---------------------------------

  #pendingEdits(): PendingEdits<T> {
    let p = this.#pending;
    if (p === undefined) {
      p = this.#pending = { ins: new PendingRun<T>(this.order), del: new Set() };
      this.#setLazy(true);
    }
    return p;
  }

  /** Whether the entity with `id` is among the pending entries. */
  protected isPending(id: EntityId): boolean {
    return this.#pending?.ins.ids.has(id) === true;
  }

  /** Whether raw index `i` is a pending exit. */
  protected isPendingExit(i: number): boolean {
    return this.#pending?.del.has(i) === true;
  }

  /** `entity` enters; applied to `array` later. */
  protected deferInsert(entity: T): void {
    const p = this.#pendingEdits();
    const key = this.order.key(entity);
    p.ins.insert(p.ins.bound(key, entity.id), entity, key);
    this.work += 16;
    this.#record(entity, undefined, -1, -1);
    this.#checkPending(p);
  }

  /** The pending entry `entity` leaves again. */
  protected deferRemovePending(entity: T): void {
    const p = this.#pending!;
    p.ins.remove(this.#pendingIndex(p, entity));
    this.work += 16;
    this.#record(undefined, entity, -1, -1);
  }

  /** Location of `entity` among the pending entries (by its key, then a scan). */
  #pendingIndex(p: PendingEdits<T>, entity: T): number {
    const loc = p.ins.locate(entity, this.order.key(entity));
    if (loc === PendingRun.END) throw new Error(`${this.label}: pending entity "${entity.id}" not found`);
    return loc;
  }

  /**
   * The view's rows [start, end) as they are with the pending edits, without
   * applying them: a merge walk from the first row (for reads of the first
   * rows, `end` ≤ `PEEK_LIMIT`, plus the exits it skips).
   */
  peek(start: number, end: number): T[] {
    const p = this.#pending;
    if (p === undefined) return arraySlice.call(this.array, start, end) as T[];
    const a = this.array;
    const { ins, del } = p;
    const out: T[] = [];
    let i = 0;
    let j = ins.first();
    for (let k = 0; k < end; k++) {
      while (i < a.length && del.has(i)) i++;
      let next: T;
      if (j >= 0 && (i >= a.length || (this.order.compare(ins.key(j), this.keyAt(i)) || compareIds(ins.entity(j).id, a[i]!.id)) < 0)) {
        next = ins.entity(j);
        j = ins.after(j);
      } else if (i < a.length) next = a[i++]!;
      else break;
      if (k >= start) out.push(next);
    }
    return out;
  }

  /** The entity at raw index `i` leaves; applied to `array` later. */
  protected deferRemoveAt(i: number): void {
    const p = this.#pendingEdits();
    const prev = this.array[i]!;
    p.del.add(i);
    this.work += 16;
    this.#record(undefined, prev, -1, -1);
    this.#checkPending(p);
  }

  /**
   * Whether `next` (the new version of `prev`, at raw index `i`, or pending
   * when `i` is -1) still sorts between its neighbours in the view as it is
   * with the pending edits: then it is replaced in place, not moved.
   */
  protected staysInPlace(prev: T, next: T, i: number): boolean {
    const a = this.array;
    const n = a.length;
    const key = this.order.key(next);
    const id = next.id;
    const before = (k: number) => (this.order.compare(this.keyAt(k), key) || compareIds(a[k]!.id, id)) < 0;
    // Neighbours in the array, skipping pending exits.
    let left: number;
    let right: number;
    if (i >= 0) {
      left = i - 1;
      right = i + 1;
    } else {
      const oldKey = this.order.key(prev);
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((this.order.compare(this.keyAt(mid), oldKey) || compareIds(a[mid]!.id, prev.id)) < 0) lo = mid + 1;
        else hi = mid;
      }
      left = lo - 1;
      right = lo;
    }
    while (left >= 0 && this.isPendingExit(left)) left--;
    while (right < n && this.isPendingExit(right)) right++;
    if (left >= 0 && !before(left)) return false;
    if (right < n && before(right)) return false;
    // Neighbours among the pending entries.
    const p = this.#pending;
    if (p === undefined || p.ins.length === 0) return true;
    const ins = p.ins;
    const at = i >= 0 ? ins.bound(this.order.key(prev), prev.id) : this.#pendingIndex(p, prev);
    const l = ins.before(at);
    const r = i >= 0 ? at : ins.after(at);
    if (l >= 0 && (this.order.compare(ins.key(l), key) || compareIds(ins.entity(l).id, id)) >= 0) return false;
    if (r >= 0 && (this.order.compare(ins.key(r), key) || compareIds(ins.entity(r).id, id)) <= 0) return false;
    return true;
  }

  /** The pending entry `prev` becomes `next`, whose key changed but whose place did not. */
  protected replacePendingKey(prev: T, next: T): void {
    const p = this.#pending!;
    p.ins.set(this.#pendingIndex(p, prev), next, this.order.key(next));
    this.work += 16;
    this.#record(next, prev, -1, -1);
  }

  #checkPending(p: PendingEdits<T>): void {
    const limit = Math.min(lazyTuning.max, Math.max(lazyTuning.min, (this.array.length / lazyTuning.share) | 0));
    if (p.ins.length + p.del.size > limit) this.settle();
  }

  /**
   * Applies the pending entries and exits to `array` (and its ranks), in
   * place: the tail from the first exit is compacted once, then the entries
   * are placed from the right at the points a search found (no comparison
   * per element). A single pending move is one `moveWithin`, what moving it
   * at once would have cost.
   */
  settle(): void {
    const p = this.#pending;
    if (p === undefined) return;
    this.#pending = undefined;
    this.#setLazy(false);
    this.#beforeWrite();
    const a = this.array;
    const ranks = this.#ranks;
    const n = a.length;
    const { ents: ins, keys: insKeys } = p.ins.flatten();
    const dels = Int32Array.from(p.del).sort();
    if (ins.length === 1 && dels.length === 1) {
      const from = dels[0]!;
      const bound = this.#rawBound(insKeys[0], ins[0]!.id, 0);
      const to = bound > from ? bound - 1 : bound;
      moveWithin(a, from, to, ins[0]!);
      if (ranks !== undefined) moveWithin(ranks, from, to, insKeys[0]);
      this.work += Math.abs(to - from) + 16;
      return;
    }
    // In place, without allocating: exits closed left to right, then entries
    // placed right to left at the points a search found.
    let write = dels.length > 0 ? dels[0]! : n;
    let d = 0;
    for (let i = write; i < n; i++) {
      if (d < dels.length && dels[d] === i) {
        d++;
        continue;
      }
      a[write] = a[i]!;
      if (ranks !== undefined) ranks[write] = ranks[i];
      write++;
    }
    a.length = write;
    if (ranks !== undefined) ranks.length = write;
    const m = write;
    let firstAt = m;
    if (ins.length > 0) {
      // Entries are sorted: each one's place is at or after the previous one's.
      const at = new Int32Array(ins.length);
      let from = 0;
      for (let j = 0; j < ins.length; j++) from = at[j] = this.#rawBound(insKeys[j], ins[j]!.id, from);
      firstAt = at[0]!;
      // Grow by pushing (the array stays packed), then merge from the right.
      for (let j = 0; j < ins.length; j++) {
        arrayPush.call(a, ins[j]!); // the raw array's own `push` refuses writes: Array's
        if (ranks !== undefined) ranks.push(insKeys[j]);
      }
      let r = m - 1;
      let w = m + ins.length - 1;
      for (let j = ins.length - 1; j >= 0; j--) {
        const stop = at[j]!;
        while (r >= stop) {
          a[w] = a[r]!;
          if (ranks !== undefined) ranks[w] = ranks[r];
          w--;
          r--;
        }
        a[w] = ins[j]!;
        if (ranks !== undefined) ranks[w] = insKeys[j];
        w--;
      }
    }
    this.work += n - Math.min(dels.length > 0 ? dels[0]! : n, firstAt) + 16;
  }

  /**
   * The first raw index at or after `from` whose entity sorts after (key,
   * id): a galloping search from `from` (entries placed in order are near
   * each other), then a binary search.
   */
  #rawBound(key: unknown, id: EntityId, from: number): number {
    const a = this.array;
    const n = a.length;
    const after = (k: number) => (this.order.compare(this.keyAt(k), key) || compareIds(a[k]!.id, id)) >= 0;
    let lo = from;
    let step = 1;
    let hi = from;
    while (hi < n && !after(hi)) {
      lo = hi + 1;
      hi += step;
      step *= 2;
    }
    if (hi > n) hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (!after(mid)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #record(next: T | undefined, prev: T | undefined, from: number, to: number): void {
    // Only a view someone listens to (or a group, which its map asks) needs the batch's story.
    if (this.owned || this.subscribers?.size) track((this.#tracks ??= new Map()), this.order, next, prev, from !== to && from >= 0 && to >= 0);
    this.markDirty();
    for (const child of this.children) {
      try {
        child.apply(next, prev, from, to);
      } catch (error) {
        this.source.report(error);
      }
    }
  }

  /** Index of the entity with `id`, by scan: the fallback when a search does not find it. */
  protected scanFor(id: EntityId): number {
    const a = this.array;
    for (let i = 0; i < a.length; i++) if (a[i]!.id === id) return i;
    return -1;
  }

  // ---- batch end ------------------------------------------------------------

  flush(): void {
    this.dirty = false;
    if (this.disposed) return;
    let change: LiveChange<T> | undefined;
    if (this.bulk) {
      if (this.upstream.stale) {
        this.markDirty(); // the upstream rebuilds in a later round of this delivery
        return;
      }
      const after = this.compute();
      if (this.owned || this.subscribers?.size) change = changeFromRebuild(this.array, this.#tracks, after, this.order);
      this.#fill(after);
      this.bulk = false;
    } else if (this.#tracks !== undefined) {
      change = changeFromTracks(this.#tracks, this.order);
    }
    this.#tracks = undefined;
    this.work = 0;
    if (change === undefined) return;
    this.changedRound = this.source.round;
    this.notify(this.view, change);
  }

  #fill(contents: readonly T[]): void {
    if (this.#pending !== undefined) {
      this.#pending = undefined;
      this.#setLazy(false);
    }
    this.#beforeWrite();
    const a = this.array;
    for (let i = 0; i < contents.length; i++) a[i] = contents[i]!;
    a.length = contents.length;
    const ranks = this.#ranks;
    if (ranks !== undefined) {
      for (let i = 0; i < contents.length; i++) ranks[i] = this.order.key(contents[i]!);
      ranks.length = contents.length;
    }
  }

  // ---- reads in progress ----------------------------------------------------

  openCursor(): Cursor<T> {
    this.settle();
    const cursor: Cursor<T> = { items: this.array };
    this.#cursors.push(cursor);
    return cursor;
  }

  closeCursor(cursor: Cursor<T>): void {
    const i = this.#cursors.indexOf(cursor);
    if (i >= 0) this.#cursors.splice(i, 1);
  }

  #beforeWrite(): void {
    const cursors = this.#cursors;
    if (cursors.length === 0) return;
    const snapshot = arraySlice.call(this.array) as T[];
    for (const cursor of cursors) cursor.items = snapshot;
    cursors.length = 0;
  }

  // ---- lifecycle --------------------------------------------------------------

  disposeView(): void {
    if (this.owned) {
      throw argumentError(`${this.label}.dispose(): this view is a group of a groupBy map; dispose the map instead`);
    }
    this.dispose();
  }

  protected release(): void {
    // A disposed view keeps what it held: apply what waits first.
    this.settle();
    this.#tracks = undefined;
    this.#cursors.length = 0;
    if (this.#ranks !== undefined) this.#ranks.length = 0;
  }
}

// Shifting elements: V8's splice is a native memmove on packed arrays, about
// 10-20x faster than a JS loop over a long span (copyWithin is slower than
// both). A loop wins for short spans, where splice's set-up dominates.
// `Array.prototype.splice` is called directly: a view's raw array carries its
// own `splice` that refuses writes.
const arraySplice = Array.prototype.splice;
const arrayPush = Array.prototype.push;
const SHORT_SPAN = 32;

function insertInto<V>(a: V[], i: number, value: V): void {
  if (a.length - i > SHORT_SPAN) {
    arraySplice.call(a, i, 0, value);
    return;
  }
  for (let k = a.length; k > i; k--) a[k] = a[k - 1]!;
  a[i] = value;
}

function removeFrom<V>(a: V[], i: number): void {
  const last = a.length - 1;
  if (last - i > SHORT_SPAN) {
    arraySplice.call(a, i, 1);
    return;
  }
  for (let k = i; k < last; k++) a[k] = a[k + 1]!;
  a.length = last;
}

/** Moves the element at `from` so that it ends at `to`, writing `value` there. */
function moveWithin<V>(a: V[], from: number, to: number, value: V): void {
  if (Math.abs(to - from) > SHORT_SPAN) {
    arraySplice.call(a, from, 1);
    arraySplice.call(a, to, 0, value);
    return;
  }
  if (from < to) for (let k = from; k < to; k++) a[k] = a[k + 1]!;
  else for (let k = from; k > to; k--) a[k] = a[k - 1]!;
  a[to] = value;
}
