/** What the status bar shows. */
export interface SyncStatus {
  /** The engine's connection phase. */
  readonly connection: "disconnected" | "connecting" | "connected" | string;
  /** Operations made here that the server has not answered yet (recovered ones included). */
  readonly pending: number;
}

/** One app-level message for the alert region: a refused operation, a local error. */
export interface AppMessage {
  readonly id: number;
  readonly text: string;
}

/** A tiny external store for `useSyncExternalStore`: a value, replaced whole, and listeners. */
export class ValueStore<T> {
  #value: T;
  readonly #listeners = new Set<() => void>();
  constructor(value: T) {
    this.#value = value;
  }
  get = (): T => this.#value;
  set(value: T): void {
    if (Object.is(value, this.#value)) return;
    this.#value = value;
    for (const listener of [...this.#listeners]) listener();
  }
  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  };
}
