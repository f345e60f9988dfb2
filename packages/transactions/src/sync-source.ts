import { TransactionsError, TransactionsErrorCode, toError } from "./errors";
import type { Item, Logger, SyncData, SyncInstance } from "./types";

/** `data` as `[id, item | null]` pairs; throws `INVALID_ARGUMENT` (naming `what`) for malformed data. */
export function patchEntries<T extends Item>(data: SyncData<T>, what: string): Array<[string, T | null]> {
  if (Array.isArray(data)) {
    return (data as readonly T[]).map((item, i) => {
      if (item === null || typeof item !== "object" || typeof item.id !== "string") {
        throw new TransactionsError(TransactionsErrorCode.InvalidArgument, `${what}: item ${i} has no string id`);
      }
      return [item.id, item];
    });
  }
  if (data === null || typeof data !== "object") {
    throw new TransactionsError(TransactionsErrorCode.InvalidArgument, `${what}: expected an array of items or a record by id`);
  }
  return Object.entries(data as Record<string, T | null>).map(([id, item]) => {
    if (item !== null && (typeof item !== "object" || item.id !== id)) {
      throw new TransactionsError(TransactionsErrorCode.InvalidArgument, `${what}: entry "${id}" is not an item with that id (or null)`);
    }
    return [id, item];
  });
}

/**
 * What the backend has sent a collection (including updates the collection
 * holds back for locked objects), and the {@link SyncInstance} `awaitSync`
 * reads it through.
 */
export class SyncSource<T extends Item> {
  readonly #server = new Map<string, T>();
  /** `#server` as a record, rebuilt on the first read after a change. */
  #snapshot: Record<string, T> | undefined;
  readonly #listeners = new Set<(data: SyncData<T>) => void>();
  readonly #logger: Logger;
  readonly instance: SyncInstance<T>;

  constructor(id: string, logger: Logger) {
    this.#logger = logger;
    const snapshot = () => (this.#snapshot ??= Object.fromEntries(this.#server) as Record<string, T>);
    const listeners = this.#listeners;
    this.instance = {
      id,
      getSyncedData: snapshot, // the same object while nothing arrives; do not mutate it
      onUpdate(listener) {
        listeners.add(listener);
        return () => void listeners.delete(listener);
      },
      waitFor(predicate, options) {
        return new Promise<void>((resolve, reject) => {
          const signal = options?.signal;
          if (signal?.aborted) return reject(toError(signal.reason ?? new Error("aborted")));
          const cleanup = () => {
            listeners.delete(listener);
            signal?.removeEventListener("abort", onAbort);
          };
          const check = (): boolean => {
            try {
              if (!predicate(snapshot())) return false;
            } catch (error) {
              cleanup();
              reject(toError(error));
              return true;
            }
            cleanup();
            resolve();
            return true;
          };
          const listener = () => void check();
          const onAbort = () => {
            cleanup();
            reject(toError(signal?.reason ?? new Error("aborted")));
          };
          if (check()) return;
          listeners.add(listener);
          signal?.addEventListener("abort", onAbort);
        });
      },
    };
  }

  /** Records what the backend says about `id` (`null`: deleted). */
  set(id: string, item: T | null): void {
    this.#snapshot = undefined;
    if (item === null) this.#server.delete(id);
    else this.#server.set(id, item);
  }

  /** Tells the `onUpdate` / `waitFor` listeners about an update that arrived. */
  emit(entries: ReadonlyArray<[string, T | null]>): void {
    if (this.#listeners.size === 0) return;
    const patch = Object.fromEntries(entries) as Record<string, T | null>;
    for (const listener of [...this.#listeners]) {
      try {
        listener(patch);
      } catch (error) {
        this.#logger.error(`a sync listener of "${this.instance.id}" threw`, error);
      }
    }
  }
}
