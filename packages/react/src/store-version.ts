/**
 * One listener per store, kept for the store's life, that counts its batches.
 * The count is the store's snapshot for `useSyncExternalStore`: a number is
 * stable between changes and different after each one, and because the store
 * listener is never removed, a change made between a render and the
 * subscription that follows it still moves the count (no missed update).
 */
import { ReactBindingError, ReactBindingErrorCode } from "./errors";

/** The part of a `KalphiteStore` the hooks use. */
export interface SubscribableStore {
  subscribe(listener: (changes: readonly unknown[]) => void): () => void;
}

interface Tracker {
  version: number;
  readonly listeners: Set<() => void>;
}

const trackers = new WeakMap<object, Tracker>();

/** The tracker of `store`, created (and subscribed to the store) on first use. */
export function trackerOf(store: SubscribableStore, hook: string): Tracker {
  if (typeof store !== "object" || store === null || typeof store.subscribe !== "function") {
    throw new ReactBindingError(ReactBindingErrorCode.InvalidArgument, `${hook}: expected a KalphiteStore (an object with subscribe), got ${store === null ? "null" : typeof store}`);
  }
  let tracker = trackers.get(store);
  if (tracker === undefined) {
    const created: Tracker = { version: 0, listeners: new Set() };
    store.subscribe(() => {
      created.version++;
      for (const listener of [...created.listeners]) listener();
    });
    trackers.set(store, created);
    tracker = created;
  }
  return tracker;
}

/** Adds `listener` to the tracker; returns the function that removes it. */
export function listen(tracker: Tracker, listener: () => void): () => void {
  tracker.listeners.add(listener);
  return () => void tracker.listeners.delete(listener);
}
