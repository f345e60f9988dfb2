import { compareKeys, compareStrings } from "../sort-keys";
import type { CollectionState } from "../internal/collection-state";
import type { BaseEntity, EntityId } from "../types";
import type { Order } from "./node-types";

/** The tiebreak of every order: ids by Unicode code point, ascending (as PostgreSQL's "C" collation). */
export function compareIds(a: EntityId, b: EntityId): number {
  return a === b ? 0 : compareStrings(a, b);
}

/** `orderBy(key, direction)`: the sort key with `compareKeys`, then the id ascending. */
export class SortOrder<T extends BaseEntity> implements Order<T> {
  readonly stable = true;
  readonly key: (entity: T) => unknown;
  readonly #sign: number;

  constructor(key: (entity: T) => unknown, descending: boolean) {
    this.key = key;
    this.#sign = descending ? -1 : 1;
  }

  compare(keyA: unknown, keyB: unknown): number {
    return compareKeys(keyA, keyB) * this.#sign;
  }
}

/**
 * Collection order (insertion order; a replaced entity keeps its place, a
 * deleted and re-inserted one goes last) as a rank per id. The collection's
 * own slots are private to it, so the ranks are kept here, and only while a
 * view in collection order exists (`retain`/`release` count them).
 */
export class CollectionOrder implements Order<BaseEntity> {
  readonly stable = false;
  #ranks: Map<EntityId, number> | undefined;
  #users = 0;

  /** Starts (or keeps) ranking; ranks are the collection's sequence numbers. */
  retain(state: CollectionState<BaseEntity>): void {
    if (this.#users++ > 0) return;
    const ranks = new Map<EntityId, number>();
    const items = state.items;
    for (let i = 0; i < items.length; i++) ranks.set(items[i]!.id, state.seqAt(i));
    this.#ranks = ranks;
  }

  release(): void {
    if (--this.#users === 0) this.#ranks = undefined;
  }

  /** An id entered the collection with sequence number `seq` (new: after every other; restored: where it was). */
  inserted(id: EntityId, seq: number): void {
    this.#ranks?.set(id, seq);
  }

  /** An id left the collection (call after the views have seen it leave). */
  deleted(id: EntityId): void {
    this.#ranks?.delete(id);
  }

  key(entity: BaseEntity): unknown {
    return this.#ranks!.get(entity.id);
  }

  compare(keyA: unknown, keyB: unknown): number {
    return (keyA as number) - (keyB as number);
  }
}

/** Sorts `items` in place by `order`, computing each key once. */
export function sortInPlace<T extends BaseEntity>(items: T[], order: Order<T>): void {
  const n = items.length;
  const keys = new Array<unknown>(n);
  const ids = new Array<EntityId>(n);
  const index = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    keys[i] = order.key(items[i]!);
    ids[i] = items[i]!.id;
    index[i] = i;
  }
  index.sort((a, b) => order.compare(keys[a], keys[b]) || compareIds(ids[a]!, ids[b]!));
  const copy = items.slice();
  for (let i = 0; i < n; i++) items[i] = copy[index[i]!]!;
}
