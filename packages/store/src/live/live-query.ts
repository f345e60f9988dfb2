import type { CollectionState } from "../internal/collection-state";
import type { KeySelector, SortDirection } from "../sort-keys";
import type { BaseEntity } from "../types";
import { CHAIN } from "./chain";
import type { LiveGroups } from "./live-groups";
import { LiveSource } from "./live-source";
import type { LiveSteps, LiveView } from "./live-types";

/**
 * `collection.live`: where live queries start. Holds nothing and observes
 * nothing by itself; each step builds a view on the collection (the store then
 * observes the collection until the last such view is disposed).
 *
 * @example
 * const open = store.todo.live.where((t) => !t.completed).orderBy("priority", "desc").limit(20);
 * const stop = open.subscribe((view, { added, removed, moved, updated }) => render(view));
 */
export class LiveQuery<T extends BaseEntity> implements LiveSteps<T> {
  readonly #state: CollectionState<BaseEntity>;
  #source: LiveSource | undefined;

  /** @internal Reached through `collection.live`. */
  constructor(state: CollectionState<BaseEntity>) {
    this.#state = state;
  }

  get #up(): LiveSource {
    return (this.#source ??= new LiveSource(this.#state));
  }

  /** The entities for which the (pure) `predicate(entity)` is truthy, in collection order. */
  filter<S extends T>(predicate: (entity: T, ...none: never[]) => entity is S): LiveView<S>;
  filter(predicate: (entity: T, ...none: never[]) => unknown): LiveView<T>;
  filter(predicate: (entity: T, ...none: never[]) => unknown): LiveView<T> {
    return CHAIN.filter(this.#up, predicate, "filter") as LiveView<T>;
  }

  /** Alias of `filter`. */
  where<S extends T>(predicate: (entity: T, ...none: never[]) => entity is S): LiveView<S>;
  where(predicate: (entity: T, ...none: never[]) => unknown): LiveView<T>;
  where(predicate: (entity: T, ...none: never[]) => unknown): LiveView<T> {
    return CHAIN.filter(this.#up, predicate, "where") as LiveView<T>;
  }

  /** Sorted by a field or key function (`compareKeys` order, ties by id). @param direction @default "asc" */
  orderBy(key: KeySelector<T>, direction?: SortDirection): LiveView<T> {
    return CHAIN.orderBy(this.#up, key, direction) as LiveView<T>;
  }

  /** The first `count` entities in collection order (an integer ≥ 0, or `Infinity`). */
  limit(count: number): LiveView<T> {
    return CHAIN.limit(this.#up, count) as LiveView<T>;
  }

  /** All but the first `count` entities in collection order (an integer ≥ 0). */
  offset(count: number): LiveView<T> {
    return CHAIN.offset(this.#up, count) as LiveView<T>;
  }

  /** A live `Map` from each key to the live view of its entities (in collection order). */
  groupBy<K>(key: (entity: T) => K): LiveGroups<K, T>;
  groupBy<F extends keyof T>(field: F): LiveGroups<T[F], T>;
  groupBy(key: KeySelector<T>): LiveGroups<unknown, T> {
    return CHAIN.groupBy(this.#up, key) as unknown as LiveGroups<unknown, T>;
  }
}

const queries = new WeakMap<CollectionState<BaseEntity>, LiveQuery<BaseEntity>>();

/** @internal The `live` of a collection: one per collection, made on first use. */
export function liveQueryOf(state: CollectionState<BaseEntity>): LiveQuery<BaseEntity> {
  let query = queries.get(state);
  if (query === undefined) queries.set(state, (query = new LiveQuery(state)));
  return query;
}
