import type { KeySelector, SortDirection } from "../sort-keys";
import type { BaseEntity } from "../types";
import type { LiveGroups } from "./live-groups";

/**
 * What changed in a live view during one store batch, relative to what the
 * view held when the batch began. Each entity appears at most once per list
 * (an entity can be both `moved` and `updated`).
 */
export interface LiveChange<T> {
  /** Entities that entered the view (their current versions). */
  readonly added: readonly T[];
  /** Entities that left the view (the versions the view held before). */
  readonly removed: readonly T[];
  /**
   * Entities that stayed in the view but now sit elsewhere relative to the
   * others, because their own change re-placed them (a new sort key, or in a
   * view without `orderBy`, a delete and re-insert that sent them to the end).
   * Current versions.
   */
  readonly moved: readonly T[];
  /** Entities that stayed in the view and were replaced by a new version (current versions). */
  readonly updated: readonly T[];
}

/** Called once per store batch in which the view's contents changed: the view (already current), then what changed. */
export type LiveListener<T extends BaseEntity> = (view: LiveView<T>, change: LiveChange<T>) => void;

/** The query steps shared by `collection.live` and every live view; each returns a new live view. */
export interface LiveSteps<T extends BaseEntity> {
  /**
   * The entities for which `predicate(entity)` is truthy, in this view's order.
   * The predicate must be a pure function of the entity (it is re-run on
   * changed entities only).
   */
  filter<S extends T>(predicate: (entity: T, ...none: never[]) => entity is S): LiveView<S>;
  filter(predicate: (entity: T, ...none: never[]) => unknown): LiveView<T>;
  /** Alias of `filter`. */
  where<S extends T>(predicate: (entity: T, ...none: never[]) => entity is S): LiveView<S>;
  where(predicate: (entity: T, ...none: never[]) => unknown): LiveView<T>;
  /**
   * Sorted by a field or a (pure) key function, with the store's `compareKeys`
   * ordering (`null`/`undefined` last when ascending); equal keys are ordered
   * by entity id, ascending, in both directions.
   * @param direction @default "asc"
   */
  orderBy(key: KeySelector<T>, direction?: SortDirection): LiveView<T>;
  /** At most the first `count` entities (an integer ≥ 0, or `Infinity`). */
  limit(count: number): LiveView<T>;
  /** All but the first `count` entities (an integer ≥ 0). */
  offset(count: number): LiveView<T>;
  /**
   * A live `Map` from each key to the live view of its entities (in this
   * view's order). Groups appear when their first entity does and disappear
   * (their view disposed) when their last one leaves.
   */
  groupBy<K>(key: (entity: T) => K): LiveGroups<K, T>;
  groupBy<F extends keyof T>(field: F): LiveGroups<T[F], T>;
}

/**
 * A live query result: a real, read-only array (`Array.isArray` is true; the
 * same object for as long as it lives) kept current on every store change at a
 * cost proportional to the change. `map`, `slice`, `find`, `for…of` … work and
 * return plain arrays; `filter`/`where`, `orderBy`, `limit`, `offset` and
 * `groupBy` build a live view downstream of this one instead.
 *
 * Writes through it (index or `length` assignment, `push`, `sort`, …) throw a
 * `KalphiteError` (`UNSUPPORTED_MUTATION`). A loop that is running (`for…of`,
 * spread, `forEach`, `map`, `some`, `find`, `reduce`, …) sees the contents as
 * they were when it started, even if the store changes inside it.
 */
export interface LiveView<T extends BaseEntity> extends Array<T>, LiveSteps<T> {
  filter<S extends T>(predicate: (entity: T, ...none: never[]) => entity is S): LiveView<S>;
  filter(predicate: (entity: T, ...none: never[]) => unknown): LiveView<T>;
  /**
   * Calls `listener(view, change)` at the end of every store batch in which
   * the view's contents changed. Returns the unsubscribe function (which does
   * not dispose the view).
   * @throws KalphiteError `VIEW_DISPOSED` on a disposed view.
   */
  subscribe(listener: LiveListener<T>): () => void;
  /**
   * Stops maintaining the view: its subscribers are dropped, the views built
   * on it are disposed, and so are the upstream views that only fed it (a view
   * something was chained on, left with no downstream view and no subscriber).
   * Its contents stay as they were. Idempotent.
   */
  dispose(): void;
  /** Whether `dispose()` was called (directly, or through an upstream view or a `groupBy` map). */
  readonly disposed: boolean;
}
