import { useCallback, useState, useSyncExternalStore } from "react";
import { ReactBindingError, ReactBindingErrorCode } from "./errors";

/** What `useLiveQuery` needs of a live view (`LiveView<T>` of `@kalphite/store`). */
export interface LiveViewLike<T> extends Iterable<T> {
  subscribe(listener: (...args: any[]) => void): () => void;
  dispose(): void;
  readonly disposed: boolean;
  readonly length: number;
}

/** How long a view made by a render React never committed lives before it is disposed, ms. @default 10000 */
export const UNCOMMITTED_VIEW_TIMEOUT_MS = 10_000;

/**
 * Owns one live view for one component: made on first need (a render or the
 * subscription), remade when the deps change, disposed when the component
 * unmounts. The snapshot is a frozen copy of the view, replaced only when the
 * view notifies (its contents changed): React never sees a view change under
 * it mid-render (no tearing), and renders with no change in between get the
 * same array.
 */
class ViewHolder<T> {
  #factory: () => LiveViewLike<T>;
  #view: LiveViewLike<T> | undefined;
  #snapshot: readonly T[] = EMPTY as readonly T[];
  #fresh = false;
  #subscribers = 0;
  #orphanTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(factory: () => LiveViewLike<T>) {
    this.#factory = factory;
  }

  /** Switches to a new factory (the deps changed): the old view goes. */
  replace(factory: () => LiveViewLike<T>): void {
    this.#factory = factory;
    this.#drop();
  }

  #ensure(): LiveViewLike<T> {
    if (this.#view !== undefined && !this.#view.disposed) return this.#view;
    const view = this.#factory();
    if (view === null || typeof view !== "object" || typeof view.subscribe !== "function" || typeof view.dispose !== "function" || typeof (view as Partial<Iterable<T>>)[Symbol.iterator] !== "function") {
      throw new ReactBindingError(ReactBindingErrorCode.InvalidArgument, "useLiveQuery: the factory must return a live view (store.<type>.live.where(…)…)");
    }
    this.#view = view;
    this.#fresh = false;
    if (this.#subscribers === 0) this.#armOrphanTimer();
    return view;
  }

  /** A render that is never committed never subscribes: its view must not live on. */
  #armOrphanTimer(): void {
    clearTimeout(this.#orphanTimer);
    this.#orphanTimer = setTimeout(() => {
      if (this.#subscribers === 0) this.#drop();
    }, UNCOMMITTED_VIEW_TIMEOUT_MS);
    (this.#orphanTimer as { unref?: () => void }).unref?.();
  }

  #drop(): void {
    clearTimeout(this.#orphanTimer);
    this.#orphanTimer = undefined;
    const view = this.#view;
    this.#view = undefined;
    this.#fresh = false;
    if (view !== undefined && !view.disposed) view.dispose();
  }

  getSnapshot = (): readonly T[] => {
    const view = this.#ensure();
    if (!this.#fresh) {
      const next = [...view];
      const previous = this.#snapshot;
      // Same entities in the same order: keep the old array (no re-render).
      const same = next.length === previous.length && next.every((entity, i) => entity === previous[i]);
      if (!same) this.#snapshot = Object.freeze(next);
      this.#fresh = true;
    }
    return this.#snapshot;
  };

  subscribe = (onChange: () => void): (() => void) => {
    const view = this.#ensure();
    this.#subscribers++;
    clearTimeout(this.#orphanTimer);
    // A change between the render and now was not heard: read the view again.
    this.#fresh = false;
    const off = view.subscribe(() => {
      this.#fresh = false;
      onChange();
    });
    return () => {
      off();
      this.#subscribers--;
      // Unmount (or a StrictMode re-run): the view goes; a later subscription makes a new one.
      // A view already replaced (new deps) was disposed then; leave its successor alone.
      if (this.#subscribers === 0 && this.#view === view) this.#drop();
    };
  };
}

const EMPTY: readonly never[] = Object.freeze([]);

/**
 * The current contents of a live view, re-rendering the component only when
 * the view's contents change (the view's own notification: a change to an
 * entity outside it renders nothing). `factory` builds the view, e.g.
 * `() => store.todo.live.where((t) => !t.done).orderBy("due")`; it runs
 * again when a value in `deps` changes. The view is disposed on unmount.
 *
 * The array returned is a frozen copy, the same object until the view
 * changes (usable in `useMemo` deps).
 *
 * @param deps values the query depends on. @default []
 * @example
 * const open = useLiveQuery(() => store.todo.live.where((t) => t.project === project).orderBy("due"), [project]);
 */
export function useLiveQuery<T>(factory: () => LiveViewLike<T>, deps: readonly unknown[] = []): readonly T[] {
  if (typeof factory !== "function") throw new ReactBindingError(ReactBindingErrorCode.InvalidArgument, `useLiveQuery: the first argument must be a function returning a live view, got ${typeof factory}`);
  const [state] = useState(() => ({ holder: new ViewHolder<T>(factory), deps }));
  if (!sameDeps(state.deps, deps)) {
    state.holder.replace(factory);
    state.deps = deps;
  }
  const { holder } = state;
  const subscribe = useCallback((onChange: () => void) => holder.subscribe(onChange), [holder, ...deps]);
  return useSyncExternalStore(subscribe, holder.getSnapshot, holder.getSnapshot);
}

function sameDeps(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((value, i) => Object.is(value, b[i]));
}
