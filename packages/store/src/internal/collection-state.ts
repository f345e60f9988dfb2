import type { TypedCollection } from "../collection";
import type { StoreCore } from "./store-core";
import type { BaseEntity, ChangeListener, ChangeOperation, ChangeRecord, EntityId } from "../types";

/**
 * Something kept current by a collection, change by change (live views).
 * `change` runs synchronously right after the collection changed, so anything
 * reading the observer afterwards sees it updated; `flush` runs once at the
 * end of every store batch in which `change` was called. `seq` is the
 * collection-order rank of the entity (of `next`, or of `prev` when it left):
 * a rolled-back delete comes back with the rank it had.
 */
export interface CollectionObserver<T extends BaseEntity> {
  change(operation: ChangeOperation, id: EntityId, next: T | undefined, prev: T | undefined, seq: number): void;
  flush(): void;
}

/**
 * Where an entity is: its insertion sequence number (collection order is
 * ascending `seq`) and a hint of its index in `items`, checked before use
 * (deletes before it make it stale; a binary search on `seq` then finds it).
 */
export interface Entry<T> {
  entity: T;
  readonly seq: number;
  index: number;
}

const INITIAL_CAPACITY = 16;

/**
 * The data behind one `TypedCollection`: the array itself (`items`, the
 * Proxy's target), an id → entry map for O(1) lookup, and `seqs`, the
 * insertion sequence number of each item in a typed array beside it.
 *
 * Collection order is insertion order, and sequence numbers only grow, so
 * `seqs` is sorted: an entity's index is its hint when the hint still points
 * at it, or a binary search on `seqs`. A delete is two memmoves (`splice` on
 * `items`, `copyWithin` on `seqs`) and rewrites no per-entity index.
 */
export class CollectionState<T extends BaseEntity> {
  readonly type: string;
  /** The store this collection belongs to. */
  readonly core: StoreCore;
  /** The raw array: a plain `Array`, the target of the collection's Proxy, mutated only here. */
  readonly items: T[] = [];
  readonly #entries = new Map<EntityId, Entry<T>>();
  /** `seqs[i]` is the sequence number of `items[i]`; ascending. */
  #seqs = new Float64Array(INITIAL_CAPACITY);
  #nextSeq = 0;
  readonly listeners = new Set<ChangeListener<T>>();
  readonly observers = new Set<CollectionObserver<T>>();
  /** Records for this type's listeners, since the last delivery. */
  pending: ChangeRecord<T>[] = [];
  /** Whether this collection is in the store's list of collections to deliver. */
  touched = false;
  /** Whether the store keeps this collection (it holds something); else it is held weakly. */
  kept = false;
  /** The live array users see (`store.<type>`); set by the store right after construction. */
  collection!: TypedCollection<BaseEntity>;

  constructor(type: string, core: StoreCore) {
    this.type = type;
    this.core = core;
  }

  get(id: EntityId): T | undefined {
    return this.#entries.get(id)?.entity;
  }

  has(id: EntityId): boolean {
    return this.#entries.has(id);
  }

  /** The sequence number (collection-order rank) of `id`, or undefined. */
  seqOf(id: EntityId): number | undefined {
    return this.#entries.get(id)?.seq;
  }

  /** The sequence number of `items[i]`. */
  seqAt(i: number): number {
    return this.#seqs[i]!;
  }

  /** Whether nothing refers to this collection's data: no entity, listener or observer. */
  get idle(): boolean {
    return this.items.length === 0 && this.listeners.size === 0 && this.observers.size === 0 && this.pending.length === 0 && !this.touched;
  }

  /** Inserts at the end or replaces in place; returns the entity it replaced (undefined for an insert). */
  put(entity: T): T | undefined {
    const entry = this.#entries.get(entity.id);
    if (entry !== undefined) {
      const prev = entry.entity;
      this.items[this.#indexOf(entry)] = entity;
      entry.entity = entity;
      return prev;
    }
    this.#insertAt(this.items.length, entity, this.#nextSeq++);
    return undefined;
  }

  /** Removes one entity, closing the gap; returns its entry (entity and seq). */
  remove(id: EntityId): Entry<T> | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    const items = this.items;
    const index = this.#indexOf(entry);
    const last = items.length - 1;
    this.#entries.delete(id);
    if (index === last) {
      items.length = last;
    } else {
      // splice is a native memmove on packed arrays; so is copyWithin on a typed array.
      items.splice(index, 1);
      this.#seqs.copyWithin(index, index + 1, last + 1);
    }
    return entry;
  }

  /** Puts back an entity removed earlier, at the place its `seq` gives it (a rollback). */
  restore(entity: T, seq: number): void {
    if (this.#entries.has(entity.id)) throw new Error(`store.${this.type}: restore of "${entity.id}", which is present`);
    this.#insertAt(this.#lowerBound(seq), entity, seq);
  }

  /** Removes many entities in one compaction pass; returns the removed entries in collection order. */
  removeMany(ids: ReadonlySet<EntityId>): Entry<T>[] {
    const items = this.items;
    const seqs = this.#seqs;
    const entries = this.#entries;
    const removed: Entry<T>[] = [];
    let write = 0;
    for (let read = 0; read < items.length; read++) {
      const entity = items[read]!;
      if (ids.has(entity.id)) {
        removed.push(entries.get(entity.id)!);
        entries.delete(entity.id);
        continue;
      }
      if (write !== read) {
        items[write] = entity;
        seqs[write] = seqs[read]!;
      }
      write++;
    }
    items.length = write;
    return removed;
  }

  #insertAt(index: number, entity: T, seq: number): void {
    const items = this.items;
    const n = items.length;
    if (n === this.#seqs.length) {
      const grown = new Float64Array(n * 2);
      grown.set(this.#seqs);
      this.#seqs = grown;
    }
    const seqs = this.#seqs;
    if (index === n) {
      items.push(entity);
    } else {
      items.splice(index, 0, entity);
      seqs.copyWithin(index + 1, index, n);
    }
    seqs[index] = seq;
    this.#entries.set(entity.id, { entity, seq, index });
  }

  /** The index of `entry` in `items`: its hint if still right, else a binary search on `seqs` (and a new hint). */
  #indexOf(entry: Entry<T>): number {
    const hint = entry.index;
    if (this.items[hint] === entry.entity) return hint;
    const index = this.#lowerBound(entry.seq);
    entry.index = index;
    return index;
  }

  /** The first index whose seq is ≥ `seq`. */
  #lowerBound(seq: number): number {
    const seqs = this.#seqs;
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqs[mid]! < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
