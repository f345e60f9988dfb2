import type { LiveSource } from "./live-source";

/**
 * The order of a node's array: by key, then by id (`compareIds`), so two
 * different entities never compare equal.
 */
export interface Order<T> {
  /** The rank of an entity: its sort key, or its position in the collection. */
  key(entity: T): unknown;
  /** Compares two keys; 0 when they tie (the ids decide). */
  compare(keyA: unknown, keyB: unknown): number;
  /**
   * Whether an entity's place follows from its own value (a sort key) rather
   * than from history (collection order: a re-inserted entity goes last).
   */
  readonly stable: boolean;
}

/**
 * Receives the changes of what it is built on, one entity at a time, right
 * after they happened: `prev` left (or was replaced by `next`), `next` entered.
 * `from`/`to` are `prev`'s index before and `next`'s index after the change in
 * the upstream array (-1 when absent or unknown, as from the collection).
 */
export interface Consumer<T> {
  /** True when the consumer reads `from`/`to` and its upstream's indices (a window): the upstream then applies edits at once. */
  readonly usesIndices?: boolean;
  apply(next: T | undefined, prev: T | undefined, from: number, to: number): void;
  /** The upstream will rebuild at the end of the batch: stop work until then. */
  enterBulk(): void;
  dispose(): void;
}

/** What a node is attached to: its upstream, or the `groupBy` that owns it. */
export interface Parent<T> {
  attach(child: Consumer<T>): void;
  detach(child: Consumer<T>): void;
}

/** What a node is computed from: the collection, or another view. */
export interface Upstream<T> extends Parent<T> {
  readonly source: LiveSource;
  /** The current contents, in `order`. */
  readonly items: readonly T[];
  readonly order: Order<T>;
  /** True while `items` wait for a rebuild at the end of the batch. */
  readonly stale: boolean;
}
