import type { BaseEntity, EntityId } from "../types";
import { changeFromRebuild, changeFromTracks, track, type Track } from "./change-set";
import { argumentError } from "./live-errors";
import { LiveNode } from "./live-node";
import type { LiveChange, LiveView } from "./live-types";
import type { Order, Parent, Upstream } from "./node-types";
import { createViewArray } from "./view-array";
import type { Cursor, ViewHost } from "./view-host";

const arraySlice = Array.prototype.slice;

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
   * `ranks[i]` is `order.key(array[i])`, kept beside the array when the
   * node searches in collection order: a search then reads a compact array
   * instead of one hash lookup per probe.
   */
  readonly #ranks: unknown[] | undefined;
  /** The source's `round` in which this view last notified a change. */
  changedRound = -1;

  constructor(upstream: Upstream<T>, parent: Parent<T>, order: Order<T>, owned: boolean, ranked = false) {
    super(upstream, parent, owned);
    this.order = order;
    this.#ranks = ranked ? [] : undefined;
    this.label = `live view of store.${this.source.state.type}`;
    ({ array: this.array, view: this.view } = createViewArray<T>(this));
    if (order === (this.source.order as Order<BaseEntity>)) this.source.order.retain(this.source.state);
  }

  get items(): readonly T[] {
    return this.array;
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
    this.#tracks = undefined;
    this.#cursors.length = 0;
    if (this.#ranks !== undefined) this.#ranks.length = 0;
    if (this.order === (this.source.order as Order<BaseEntity>)) this.source.order.release();
  }
}

// Shifting elements: V8's splice is a native memmove on packed arrays, about
// 10-20x faster than a JS loop over a long span (copyWithin is slower than
// both). A loop wins for short spans, where splice's set-up dominates.
// `Array.prototype.splice` is called directly: a view's raw array carries its
// own `splice` that refuses writes.
const arraySplice = Array.prototype.splice;
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
