import { useCallback, useSyncExternalStore } from "react";
import type { BaseEntity, EntityOfType, StoreMethods } from "@kalphite/store";
import { ReactBindingError, ReactBindingErrorCode } from "./errors";

/** The part of a `KalphiteStore` `useEntity` uses. */
export type EntityStore<TEntity extends BaseEntity> = Pick<StoreMethods<TEntity>, "getById" | "getByType">;

/**
 * One entity, `store.getById(type, id)`, or `undefined` while there is none.
 * The component re-renders only when that entity is replaced or deleted
 * (stored entities are immutable: an update is a new object), not when other
 * entities of its type change.
 *
 * @example
 * const todo = useEntity(store, "todo", id); // Todo | undefined
 */
export function useEntity<TEntity extends BaseEntity, TType extends TEntity["type"]>(
  store: EntityStore<TEntity>,
  type: TType,
  id: string,
): EntityOfType<TEntity, TType> | undefined {
  if (typeof store !== "object" || store === null || typeof store.getById !== "function" || typeof store.getByType !== "function") {
    throw new ReactBindingError(ReactBindingErrorCode.InvalidArgument, "useEntity: expected a KalphiteStore (with getById and getByType)");
  }
  if (typeof type !== "string" || type.length === 0) throw new ReactBindingError(ReactBindingErrorCode.InvalidArgument, `useEntity: the type must be a non-empty string, got ${JSON.stringify(type)}`);
  if (typeof id !== "string") throw new ReactBindingError(ReactBindingErrorCode.InvalidArgument, `useEntity: the id must be a string, got ${typeof id}`);
  // The collection object is held by the subscription, so the store keeps it while we listen.
  const subscribe = useCallback((onChange: () => void) => store.getByType(type).subscribe(onChange), [store, type]);
  const getSnapshot = () => store.getById(type, id);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}
