import { useCallback, useRef, useSyncExternalStore } from "react";
import { ReactBindingError, ReactBindingErrorCode } from "./errors";
import { listen, trackerOf, type SubscribableStore } from "./store-version";

/**
 * The store, re-rendering the component after every store batch (one render
 * per batch, however many entities it changed). Read `store.todo` & co. in
 * render as usual.
 *
 * With a `selector`, returns `selector(store)` instead and re-renders only
 * when that value changes (`isEqual`, default `Object.is`). The selector runs
 * after each store batch and when a render passes a different selector
 * function (an inline arrow is a new one on every render: wrap it in
 * `useCallback` when it is costly); an equal result keeps the previous value.
 *
 * @example
 * const store = useKalphiteStore(appStore);             // every change
 * const open = useKalphiteStore(appStore, (s) => s.todo.filter((t) => !t.done).length); // a number
 */
export function useKalphiteStore<TStore extends SubscribableStore>(store: TStore): TStore;
export function useKalphiteStore<TStore extends SubscribableStore, TSelected>(
  store: TStore,
  selector: (store: TStore) => TSelected,
  isEqual?: (a: TSelected, b: TSelected) => boolean,
): TSelected;
export function useKalphiteStore<TStore extends SubscribableStore, TSelected>(
  store: TStore,
  selector?: (store: TStore) => TSelected,
  isEqual: (a: TSelected, b: TSelected) => boolean = Object.is,
): TStore | TSelected {
  if (selector !== undefined && typeof selector !== "function") {
    throw new ReactBindingError(ReactBindingErrorCode.InvalidArgument, `useKalphiteStore: the selector must be a function, got ${typeof selector}`);
  }
  const tracker = trackerOf(store, "useKalphiteStore");
  const subscribe = useCallback((onChange: () => void) => listen(tracker, onChange), [tracker]);
  const whole = selector === undefined;
  const getVersion = () => tracker.version;
  // Without a selector the snapshot is the store's batch count; with one, the
  // selected value cached per (count, selector), so it is stable between changes.
  const cache = useRef<{ version: number; selector: unknown; value: TSelected } | undefined>(undefined);
  const getSelected = (): TSelected => {
    const current = cache.current;
    if (current !== undefined && current.version === tracker.version && current.selector === selector) return current.value;
    const value = selector!(store);
    const kept = current !== undefined && isEqual(current.value, value) ? current.value : value;
    cache.current = { version: tracker.version, selector, value: kept };
    return kept;
  };
  const getSnapshot = whole ? getVersion : getSelected;
  const snapshot = useSyncExternalStore<number | TSelected>(subscribe, getSnapshot, getSnapshot);
  return whole ? store : (snapshot as TSelected);
}

