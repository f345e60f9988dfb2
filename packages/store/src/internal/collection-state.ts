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

/** What a deleted entity leaves in `array` until the next compaction. */
class DeletedSlot {}
const DEAD = Object.freeze(new DeletedSlot());

/** Tombstones are compacted away by the next read, or once they pass this many and a quarter of the array. */
const COMPACT_AT = 1024;

const arraySplice = Array.prototype.splice;

/**
 * The data behind one `TypedCollection`: the array itself (`items`, the
 * Proxy's target), an id → entry map for O(1) lookup, and `seqs`, the
 * insertion sequence number of each item in a typed array beside it.
 *
 * Collection order is insertion order, and sequence numbers only grow, so
 * `seqs` is sorted: an entity's index is its hint when the hint still points
 * at it, or a binary search on `seqs`.
 *
 * A delete in the middle leaves a tombstone in `array` (O(1)); the next read
 * of the collection's data (`items`, or any index/`length` read of the
 * collection, which installs a read trap while tombstones exist) compacts
 * them all in one pass. A run of deletes costs one compaction, not one shift
 * of the tail each. Tombstones keep their sequence numbers, so searches stay
 * exact while they exist.
 */
export class CollectionState<T extends BaseEntity> {
  readonly type: string;
  /** The store this collection belongs to. */
  readonly core: StoreCore;
  /**
   * The raw array, the target of the collection's Proxy, mutated only here;
   * it may hold tombstones (read `items` for the current contents).
   */
  readonly array: T[] = [];
  /** Tombstones in `array`. */
  #dead = 0;
  /** Called when the first tombstone appears and when the last one is compacted away (the collection's read trap). */
  onStale: ((stale: boolean) => void) | undefined;
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

  /** The contents, in order: the raw array, compacted first if deletes left tombstones. */
  get items(): T[] {
    if (this.#dead > 0) this.#compact();
    return this.array;
  }

  /** How many entities the collection holds. */
  get size(): number {
    return this.array.length - this.#dead;
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

  /** The sequence number of `items[i]` (of the compacted contents). */
  seqAt(i: number): number {
    if (this.#dead > 0) this.#compact();
    return this.#seqs[i]!;
  }

  /** Whether nothing refers to this collection's data: no entity, listener or observer. */
  get idle(): boolean {
    return this.size === 0 && this.listeners.size === 0 && this.observers.size === 0 && this.pending.length === 0 && !this.touched;
  }

  /**
   * Inserts at the end or replaces in place; returns the entity it replaced
   * (undefined for an insert). Its sequence number is left in `lastSeq`.
   */
  put(entity: T): T | undefined {
    const entry = this.#entries.get(entity.id);
    if (entry !== undefined) {
      const prev = entry.entity;
      this.array[this.#indexOf(entry)] = entity;
      entry.entity = entity;
      this.lastSeq = entry.seq;
      return prev;
    }
    const seq = this.#nextSeq++;
    this.#insertAt(this.array.length, entity, seq);
    this.lastSeq = seq;
    return undefined;
  }

  /** The sequence number of the entity the last `put` wrote. */
  lastSeq = -1;

  /** Removes one entity (the last: at once; another: a tombstone until the next read); returns its entry. */
  remove(id: EntityId): Entry<T> | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    const array = this.array;
    const index = this.#indexOf(entry);
    this.#entries.delete(id);
    let last = array.length - 1;
    if (index === last) {
      // Trailing tombstones go with it.
      while (last > 0 && array[last - 1] === DEAD) {
        last--;
        this.#dead--;
      }
      array.length = last;
      if (this.#dead === 0) this.onStale?.(false);
      return entry;
    }
    array[index] = DEAD as unknown as T;
    if (this.#dead++ === 0) this.onStale?.(true);
    if (this.#dead > COMPACT_AT && this.#dead * 4 > array.length) this.#compact();
    return entry;
  }

  /** Puts back an entity removed earlier, at the place its `seq` gives it (a rollback). */
  restore(entity: T, seq: number): void {
    if (this.#entries.has(entity.id)) throw new Error(`store.${this.type}: restore of "${entity.id}", which is present`);
    const index = this.#lowerBound(seq);
    if (this.array[index] === (DEAD as unknown as T) && this.#seqs[index] === seq) {
      // Its tombstone is still there: revive it.
      this.array[index] = entity;
      this.#entries.set(entity.id, { entity, seq, index });
      if (--this.#dead === 0) this.onStale?.(false);
      return;
    }
    this.#insertAt(index, entity, seq);
  }

  /** Removes many entities in one compaction pass (tombstones included); returns the removed entries in collection order. */
  removeMany(ids: ReadonlySet<EntityId>): Entry<T>[] {
    const array = this.array;
    const seqs = this.#seqs;
    const entries = this.#entries;
    const removed: Entry<T>[] = [];
    let write = 0;
    for (let read = 0; read < array.length; read++) {
      const entity = array[read]!;
      if (entity === (DEAD as unknown as T)) continue;
      if (ids.has(entity.id)) {
        removed.push(entries.get(entity.id)!);
        entries.delete(entity.id);
        continue;
      }
      if (write !== read) {
        array[write] = entity;
        seqs[write] = seqs[read]!;
      }
      write++;
    }
    array.length = write;
    if (this.#dead > 0) {
      this.#dead = 0;
      this.onStale?.(false);
    }
    return removed;
  }

  /** Closes every tombstone's gap in one pass. */
  #compact(): void {
    const array = this.array;
    const seqs = this.#seqs;
    let write = 0;
    for (let read = 0; read < array.length; read++) {
      const entity = array[read]!;
      if (entity === (DEAD as unknown as T)) continue;
      if (write !== read) {
        array[write] = entity;
        seqs[write] = seqs[read]!;
      }
      write++;
    }
    array.length = write;
    this.#dead = 0;
    this.onStale?.(false);
  }

  #insertAt(index: number, entity: T, seq: number): void {
    const items = this.array;
    const n = items.length;
    if (n === this.#seqs.length) {
      const grown = new Float64Array(n * 2);
      grown.set(this.#seqs);
      this.#seqs = grown;
    }
    const seqs = this.#seqs;
    if (index === n) {
      items[n] = entity;
    } else {
      // The raw array carries the collection's own members (its `splice` deletes through the store): call Array's.
      arraySplice.call(items, index, 0, entity);
      seqs.copyWithin(index + 1, index, n);
    }
    seqs[index] = seq;
    this.#entries.set(entity.id, { entity, seq, index });
  }

  /** The index of `entry` in `items`: its hint if still right, else a binary search on `seqs` (and a new hint). */
  #indexOf(entry: Entry<T>): number {
    const hint = entry.index;
    if (this.array[hint] === entry.entity) return hint;
    const index = this.#lowerBound(entry.seq);
    entry.index = index;
    return index;
  }

  /** The first index whose seq is ≥ `seq`. */
  #lowerBound(seq: number): number {
    const seqs = this.#seqs;
    let lo = 0;
    let hi = this.array.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqs[mid]! < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
