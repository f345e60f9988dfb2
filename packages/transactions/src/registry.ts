import { CollectionCore } from "./collection";
import type { Collection, CollectionConfig } from "./collection-types";
import type { AnyItem, Item, Transaction } from "./types";
import { TransactionsError, TransactionsErrorCode } from "./errors";

const collections = new Map<string, CollectionCore<any>>();
const listeners = new Set<(transactions: readonly Transaction[]) => void>();
let scheduled = false;
let cache: Transaction[] | undefined;

function changed(): void {
  cache = undefined;
  if (scheduled || listeners.size === 0) return;
  scheduled = true;
  queueMicrotask(() => {
    scheduled = false;
    const all = getTransactions();
    for (const listener of [...listeners]) {
      try {
        listener(all);
      } catch (error) {
        console.error("[kalphite/transactions] a subscribeTransactions listener threw", error);
      }
    }
  });
}

/**
 * Builds a new collection whatever its id. With `register`, it becomes the
 * instance for its id (`createCollection` returns it; an older one is disposed).
 */
export function buildCollection<T extends Item>(config: CollectionConfig<T>, register: boolean): Collection<T> {
  let instance: CollectionCore<T> | undefined = undefined;
  instance = new CollectionCore<T>(config, {
    onDispose: () => {
      if (instance !== undefined && collections.get(instance.id) === instance) collections.delete(instance.id);
      changed();
    },
    onTransactionsChanged: changed,
  });
  if (register) {
    const previous = collections.get(instance.id);
    collections.set(instance.id, instance);
    if (previous !== undefined && previous !== instance) void previous.dispose();
  }
  changed();
  return instance;
}

/**
 * The framework-free core of the specification's `useCollection`: a
 * collection over `config.sync` with optimistic mutations. Collections with
 * the same `sync.id` are one instance: a second call with a live id returns
 * the first collection (its configuration wins) until it is disposed.
 *
 * @example
 * const todos = createCollection<Todo>({
 *   sync: { id: "todos", setup: async ({ onUpdate }) => ({ data: await api.list() }) },
 *   mutationFn: { persist: ({ changes }) => api.save(changes) },
 * });
 * const tx = todos.update("t1", (draft) => { draft.done = true });
 * await todos.whenSettled(tx); // tx.state is "completed" or "failed"
 */
export function createCollection<T extends Item = AnyItem>(config: CollectionConfig<T>): Collection<T> {
  const existing = config?.sync?.id === undefined ? undefined : collections.get(config.sync.id);
  if (existing !== undefined) return existing as Collection<T>;
  return buildCollection(config, true);
}

/** Every transaction of every live collection, oldest first (the same array while nothing changes). */
export function getTransactions(): readonly Transaction[] {
  if (cache === undefined) {
    cache = [...collections.values()]
      .flatMap((c) => c.getTransactions())
      .sort((a, b) => a.created_at.getTime() - b.created_at.getTime());
  }
  return cache;
}

/**
 * Calls `listener` with {@link getTransactions} after transactions of any
 * collection change (coalesced per microtask); returns the unsubscribe function.
 */
export function subscribeTransactions(listener: (transactions: readonly Transaction[]) => void): () => void {
  if (typeof listener !== "function") {
    throw new TransactionsError(TransactionsErrorCode.InvalidArgument, "subscribeTransactions: listener must be a function");
  }
  listeners.add(listener);
  return () => void listeners.delete(listener);
}
