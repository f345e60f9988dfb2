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
 * deleted and re-inserted one goes last): an entity's key is its sequence
 * number in the collection, read from the collection itself. The entity a
 * change is about is pinned for the length of the change (its key is then
 * known without a lookup, and a deleted one keeps the key it had while the
 * views take it out).
 */
export class CollectionOrder implements Order<BaseEntity> {
  readonly stable = false;
  readonly #state: CollectionState<BaseEntity>;
  #pinnedId: EntityId | undefined;
  #pinnedSeq = -1;

  constructor(state: CollectionState<BaseEntity>) {
    this.#state = state;
  }

  /** The entity of the change under way, and its sequence number (-1: none). */
  pin(id: EntityId | undefined, seq: number): void {
    this.#pinnedId = id;
    this.#pinnedSeq = seq;
  }

  key(entity: BaseEntity): unknown {
    const id = entity.id;
    if (id === this.#pinnedId && this.#pinnedSeq >= 0) return this.#pinnedSeq;
    return this.#state.seqOf(id);
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
