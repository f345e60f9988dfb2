/** A tiny listener set: `add` returns the unsubscribe function; a throwing listener does not stop the others. */
export class Listeners<TValue> {
  readonly #set = new Set<(value: TValue) => void>();
  constructor(private readonly onError: (error: unknown) => void) {}
  add(listener: (value: TValue) => void): () => void {
    this.#set.add(listener);
    return () => this.#set.delete(listener);
  }
  emit(value: TValue): void {
    for (const listener of [...this.#set]) {
      try {
        listener(value);
      } catch (error) {
        this.onError(error);
      }
    }
  }
  get size(): number {
    return this.#set.size;
  }
}
