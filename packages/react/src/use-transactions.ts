import { useSyncExternalStore } from "react";
import { getTransactions, subscribeTransactions, type Collection, type Item, type Transaction } from "@kalphite/transactions";
import { ReactBindingError, ReactBindingErrorCode } from "./errors";

const subscribeAll = (onChange: () => void) => subscribeTransactions(onChange);

/**
 * Every transaction of every live collection (`getTransactions()` of
 * `@kalphite/transactions`), oldest first, re-rendering when any changes
 * state (coalesced: one render per microtask of changes). Pass a collection
 * for its transactions only. For devtools, pending badges, error lists.
 *
 * @example
 * const failed = useTransactions().filter((tx) => tx.state === "failed");
 */
export function useTransactions<T extends Item>(collection?: Collection<T>): readonly Transaction[] {
  if (collection !== undefined && (typeof collection !== "object" || collection === null || typeof collection.subscribeTransactions !== "function")) {
    throw new ReactBindingError(ReactBindingErrorCode.InvalidArgument, "useTransactions: the argument must be a collection (from createCollection or useCollection)");
  }
  const subscribe = collection === undefined ? subscribeAll : collection.subscribeTransactions;
  const getSnapshot = collection === undefined ? getTransactions : collection.getTransactions;
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}
