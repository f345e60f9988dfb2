import { KalphiteError } from "@kalphite/store";

/** A listener of one event. */
export type Listener<TPayload> = (payload: TPayload) => void;

/**
 * A small typed event emitter. `TEvents` maps event names to payload types.
 * `on` returns the unsubscribe function; a listener that throws is reported to
 * `onListenerError` and does not stop the others. A listener added while an
 * event is being emitted hears the next emission, not the current one; one
 * removed meanwhile is not called.
 *
 * @example
 * const events = new TypedEmitter<{ saved: { id: string } }>();
 * const off = events.on("saved", ({ id }) => console.log(id));
 * events.emit("saved", { id: "t1" });
 * off();
 */
export class TypedEmitter<TEvents extends object> {
  readonly #listeners = new Map<keyof TEvents, Set<Listener<never>>>();
  readonly #onListenerError: (error: unknown, event: string) => void;

  /** @param onListenerError called when a listener throws. @default logs with console.error */
  constructor(onListenerError?: (error: unknown, event: string) => void) {
    this.#onListenerError =
      onListenerError ?? ((error, event) => console.error(`[kalphite] a "${event}" listener threw:`, error));
  }

  /**
   * Calls `listener` on every `event` until the returned function is called.
   * Adding the same function twice registers it once.
   */
  on<K extends keyof TEvents>(event: K, listener: Listener<TEvents[K]>): () => void {
    if (typeof listener !== "function") {
      throw new KalphiteError("INVALID_ARGUMENT", `on("${String(event)}", listener): listener must be a function`);
    }
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => {
      set.delete(listener as Listener<never>);
    };
  }

  /** Calls every listener of `event` with `payload`, in the order they were added. */
  emit<K extends keyof TEvents>(event: K, payload: TEvents[K]): void {
    const set = this.#listeners.get(event);
    if (set === undefined || set.size === 0) return;
    for (const listener of [...set] as Listener<TEvents[K]>[]) {
      if (!set.has(listener as Listener<never>)) continue; // removed by an earlier listener
      try {
        listener(payload);
      } catch (error) {
        try {
          this.#onListenerError(error, String(event));
        } catch {
          // An error handler that throws must not stop the other listeners either.
        }
      }
    }
  }

  /** How many listeners `event` has. */
  listenerCount(event: keyof TEvents): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  /** Removes every listener of every event. */
  clear(): void {
    this.#listeners.clear();
  }
}
