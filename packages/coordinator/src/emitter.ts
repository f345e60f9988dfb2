/**
 * One small typed emitter: `on(event, cb)` returns its unsubscribe function;
 * a throwing listener does not stop the others (its error goes to `onError`).
 */
export class Emitter<TEvents extends { [K in keyof TEvents]: (...args: any[]) => void }> {
  readonly #listeners = new Map<keyof TEvents, Set<(...args: any[]) => void>>();
  readonly #onError: (error: unknown, event: keyof TEvents) => void;

  constructor(onError: (error: unknown, event: keyof TEvents) => void) {
    this.#onError = onError;
  }

  on<K extends keyof TEvents>(event: K, listener: TEvents[K]): () => void {
    if (typeof listener !== "function") throw new TypeError(`listener for "${String(event)}" must be a function`);
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    // A wrapper, so the same function subscribed twice gets two independent subscriptions.
    const entry = (...args: unknown[]) => (listener as (...a: unknown[]) => void)(...args);
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  /** Drops every listener. */
  clear(): void {
    this.#listeners.clear();
  }

  emit<K extends keyof TEvents>(event: K, ...args: Parameters<TEvents[K]>): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (error) {
        this.#onError(error, event);
      }
    }
  }
}
