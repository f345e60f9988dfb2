import type { StoreCore } from "./store-core";
import type { BaseEntity, ChangeListener, ChangeOperation, ChangeRecord, EntityId } from "../types";

/**
 * Something kept current by a collection, change by change (live views).
 * `change` runs synchronously right after the collection changed, so anything
 * reading the observer afterwards sees it updated; `flush` runs once at the
 * end of every store batch in which `change` was called.
 */
export interface CollectionObserver<T extends BaseEntity> {
  change(operation: ChangeOperation, id: EntityId, next: T | undefined, prev: T | undefined): void;
  flush(): void;
}

/** Position of an entity in the collection's array; shared with `order` so deletes can re-index. */
interface Slot {
  index: number;
}

/**
 * The data behind one `TypedCollection`: the array itself (`items`, the
 * Proxy's target), an id → slot index for O(1) lookup and in-place replace,
 * and the listeners and observers of the type.
 */
export class CollectionState<T extends BaseEntity> {
  readonly type: string;
  /** The store this collection belongs to. */
  readonly core: StoreCore;
  /** The raw array: a plain `Array`, the target of the collection's Proxy, mutated only here. */
  readonly items: T[] = [];
  readonly #slots = new Map<EntityId, Slot>();
  /** `order[i]` is the slot of `items[i]`. */
  readonly #order: Slot[] = [];
  readonly listeners = new Set<ChangeListener<T>>();
  readonly observers = new Set<CollectionObserver<T>>();
  /** Records for this type's listeners, since the last delivery. */
  pending: ChangeRecord<T>[] = [];
  /** Whether this collection is in the store's list of collections to deliver. */
  touched = false;

  constructor(type: string, core: StoreCore) {
    this.type = type;
    this.core = core;
  }

  get(id: EntityId): T | undefined {
    const slot = this.#slots.get(id);
    return slot === undefined ? undefined : this.items[slot.index];
  }

  has(id: EntityId): boolean {
    return this.#slots.has(id);
  }

  /** Inserts at the end or replaces in place; returns the entity it replaced. */
  put(entity: T): T | undefined {
    const items = this.items;
    const slot = this.#slots.get(entity.id);
    if (slot !== undefined) {
      const prev = items[slot.index];
      items[slot.index] = entity;
      return prev;
    }
    const created: Slot = { index: items.length };
    this.#slots.set(entity.id, created);
    this.#order[created.index] = created;
    items[created.index] = entity;
    return undefined;
  }

  /** Removes one entity, closing the gap; returns it. */
  remove(id: EntityId): T | undefined {
    const slot = this.#slots.get(id);
    if (slot === undefined) return undefined;
    const items = this.items;
    const order = this.#order;
    const index = slot.index;
    const prev = items[index];
    const last = items.length - 1;
    this.#slots.delete(id);
    if (index === last) {
      items.length = last;
      order.length = last;
    } else {
      // splice is a native memmove on packed arrays; copyWithin is not (16x slower, measured).
      items.splice(index, 1);
      order.splice(index, 1);
      for (let i = index; i < last; i++) order[i]!.index = i;
    }
    return prev;
  }

  /** Removes many entities in one compaction pass; returns the removed ones in collection order. */
  removeMany(ids: ReadonlySet<EntityId>): T[] {
    const items = this.items;
    const order = this.#order;
    const removed: T[] = [];
    let write = 0;
    for (let read = 0; read < items.length; read++) {
      const entity = items[read]!;
      if (ids.has(entity.id)) {
        removed.push(entity);
        this.#slots.delete(entity.id);
        continue;
      }
      if (write !== read) {
        items[write] = entity;
        const slot = order[read]!;
        slot.index = write;
        order[write] = slot;
      }
      write++;
    }
    items.length = write;
    order.length = write;
    return removed;
  }
}
