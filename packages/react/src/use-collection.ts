import { useCallback, useEffect, useSyncExternalStore } from "react";
import { createCollection, type AnyItem, type Collection, type CollectionConfig, type Item } from "@kalphite/transactions";
import { ReactBindingError, ReactBindingErrorCode } from "./errors";

/** What `useCollection` returns: the specification's fields, plus the collection itself. */
export interface UseCollectionResult<T extends Item> {
  /** Synced data with the optimistic updates of unfinished transactions on top, by id (the same object until it changes). */
  readonly data: Readonly<Record<string, T>>;
  readonly insert: Collection<T>["insert"];
  readonly update: Collection<T>["update"];
  readonly delete: Collection<T>["delete"];
  readonly withMutation: Collection<T>["withMutation"];
  /** The collection (`ready`, `whenSettled`, `getTransactions`, …). */
  readonly collection: Collection<T>;
}

/** Options of `useCollection`. */
export interface UseCollectionOptions {
  /**
   * Dispose the collection once no mounted component uses it any more (a
   * task after the last unmount, so a remount in the same turn keeps it).
   * @default true
   */
  disposeOnUnmount?: boolean;
}

const users = new Map<Collection<any>, { count: number; timer: ReturnType<typeof setTimeout> | undefined }>();

function acquire(collection: Collection<any>): () => void {
  let entry = users.get(collection);
  if (entry === undefined) users.set(collection, (entry = { count: 0, timer: undefined }));
  entry.count++;
  clearTimeout(entry.timer);
  entry.timer = undefined;
  const held = entry;
  return () => {
    held.count--;
    if (held.count > 0) return;
    held.timer = setTimeout(() => {
      if (held.count > 0 || users.get(collection) !== held) return;
      users.delete(collection);
      void collection.dispose();
    }, 0);
  };
}

/**
 * The specification's collection hook over `createCollection` of
 * `@kalphite/transactions`: `{ data, insert, update, delete, withMutation }`.
 * Components using the same `sync.id` share one collection (the first
 * config wins). The component re-renders when `data` changes.
 *
 * @example
 * const { data, insert, update } = useCollection<Todo>({ sync: todoSync, mutationFn });
 * insert({ id: "t1", title: "Buy milk", done: false }); // data.t1 at once
 */
export function useCollection<T extends Item = AnyItem>(config: CollectionConfig<T>, options: UseCollectionOptions = {}): UseCollectionResult<T> {
  if (typeof config !== "object" || config === null || typeof config.sync?.id !== "string") {
    throw new ReactBindingError(ReactBindingErrorCode.InvalidArgument, "useCollection: config.sync.id must be a string (config = { sync, mutationFn? })");
  }
  // A map lookup while the collection lives; a new collection after it was disposed.
  const collection = createCollection<T>(config);
  const disposeOnUnmount = options.disposeOnUnmount ?? true;
  useEffect(() => (disposeOnUnmount ? acquire(collection) : undefined), [collection, disposeOnUnmount]);
  const subscribe = useCallback((onChange: () => void) => collection.subscribe(onChange), [collection]);
  const getSnapshot = () => collection.data;
  const data = useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
  return { data, insert: collection.insert, update: collection.update, delete: collection.delete, withMutation: collection.withMutation, collection };
}
