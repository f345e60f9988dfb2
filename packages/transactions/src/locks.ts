import type { Transaction } from "./types";

/**
 * The ids of the objects held by `transactions`: those touched by a
 * transaction that is `persisting` or `persisted_awaiting_sync`. Sync updates
 * to these objects wait (ordered strategy) until the holder finishes.
 */
export function getLockedObjects(transactions: readonly Transaction[]): Set<string> {
  const locked = new Set<string>();
  for (const transaction of transactions) {
    if (transaction.state !== "persisting" && transaction.state !== "persisted_awaiting_sync") continue;
    for (const mutation of transaction.mutations) {
      const id: unknown = mutation.modified["id"];
      if (typeof id === "string") locked.add(id);
    }
  }
  return locked;
}
