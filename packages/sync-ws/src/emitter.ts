/** A listener of one event. */
export type SyncListener<TPayload> = (payload: TPayload) => void;

/**
 * The typed event emitter `NetworkSyncEngine` extends (an `EventEmitter`
 * with the project's habits): `on` returns the unsubscribe function, `off`
 * and `once` work as in Node, a listener that throws is reported to
 * `onListenerError` and does not stop the others, an `error` event without
 * listeners is not thrown, and a listener added or removed during an
 * emission takes effect from the next one. `TEvents` maps event names to payloads;
 * subclasses widen it.
 */
export class SyncEmitter<TEvents extends object> {
  readonly #listeners = new Map<PropertyKey, SyncListener<never>[]>();
  #onListenerError: (error: unknown, event: string) => void = (error, event) => {
    console.error(`[kalphite] a "${event}" listener threw:`, error);
  };

  /** Calls `listener` on every `event` until the returned function (or `off`) is called. */
  on<K extends keyof TEvents>(event: K, listener: SyncListener<TEvents[K]>): () => void {
    if (typeof listener !== "function") throw new TypeError(`on("${String(event)}", listener): listener must be a function`);
    // Copy on write: an emission in progress keeps the list it started with.
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener as SyncListener<never>]);
    return () => this.off(event, listener);
  }

  /** Alias of `on`. */
  addListener<K extends keyof TEvents>(event: K, listener: SyncListener<TEvents[K]>): () => void {
    return this.on(event, listener);
  }

  /** Calls `listener` on the next `event` only. */
  once<K extends keyof TEvents>(event: K, listener: SyncListener<TEvents[K]>): () => void {
    const off = this.on(event, (payload) => {
      off();
      listener(payload);
    });
    return off;
  }

  /** Removes `listener` (once, the last time it was added). */
  off<K extends keyof TEvents>(event: K, listener: SyncListener<TEvents[K]>): void {
    const list = this.#listeners.get(event);
    if (list === undefined) return;
    const index = list.lastIndexOf(listener as SyncListener<never>);
    if (index >= 0) this.#listeners.set(event, [...list.slice(0, index), ...list.slice(index + 1)]);
  }

  /** Alias of `off`. */
  removeListener<K extends keyof TEvents>(event: K, listener: SyncListener<TEvents[K]>): void {
    this.off(event, listener);
  }

  /** Removes every listener of `event`, or of every event. */
  removeAllListeners(event?: keyof TEvents): void {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
  }

  /** Calls every listener of `event` with `payload`, in the order they were added. Returns whether there was one. */
  emit<K extends keyof TEvents>(event: K, payload: TEvents[K]): boolean {
    const list = this.#listeners.get(event);
    if (list === undefined || list.length === 0) return false;
    for (const listener of list as SyncListener<TEvents[K]>[]) {
      try {
        listener(payload);
      } catch (error) {
        try {
          this.#onListenerError(error, String(event));
        } catch {
          // A throwing error handler must not stop the other listeners either.
        }
      }
    }
    return true;
  }

  /** How many listeners `event` has. */
  listenerCount(event: keyof TEvents): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /** Replaces the handler of throwing listeners. @default logs with console.error */
  setListenerErrorHandler(handler: (error: unknown, event: string) => void): void {
    this.#onListenerError = handler;
  }
}
