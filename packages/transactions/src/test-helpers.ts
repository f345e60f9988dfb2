import type { Item, MutationFn, SyncConfig, Transaction, TransactionChanges } from "./types";

/** A promise with its resolve/reject exposed. */
export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A persist call the test settles by hand. */
export interface HeldCall extends Deferred {
  transaction: Transaction;
  changes: TransactionChanges;
  attempt: number;
}

/** A `MutationFn` whose persists wait until the test resolves or rejects them (`calls`, in call order). */
export function manualMutationFn<T extends Item>(options: { awaitSync?: MutationFn<T>["awaitSync"] } = {}): {
  mutationFn: MutationFn<T>;
  calls: HeldCall[];
} {
  const calls: HeldCall[] = [];
  const mutationFn: MutationFn<T> = {
    persist({ transaction, changes, attempt }) {
      const d = deferred();
      calls.push({ ...d, transaction, changes, attempt });
      return d.promise;
    },
  };
  if (options.awaitSync !== undefined) mutationFn.awaitSync = options.awaitSync;
  return { mutationFn, calls };
}

/** Lets every queued microtask and promise callback run. */
export async function flushMicrotasks(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** A sync source over fixed data whose updates the test pushes through `emit`. */
export function staticSync<T extends Item>(id: string, data: T[] = []): SyncConfig<T> & { emit: (update: T[] | Record<string, T | null>) => void } {
  let push: ((update: T[] | Record<string, T | null>) => void) | undefined;
  return {
    id,
    async setup({ onUpdate }) {
      push = onUpdate;
      return { data };
    },
    emit(update) {
      if (push === undefined) throw new Error("staticSync: setup has not run yet");
      push(update);
    },
  };
}

let counter = 0;
/** A collection id unique within the test run. */
export const uniqueId = (prefix = "c") => `${prefix}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
