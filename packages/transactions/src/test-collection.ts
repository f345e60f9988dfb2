import type { Collection, CollectionConfig } from "./collection-types";
import { randomId, systemTimers } from "./environment";
import { TransactionsError, TransactionsErrorCode } from "./errors";
import { buildCollection } from "./registry";
import type { AnyItem, Item, MutationFn, OnlineStatus, SyncConfig, SyncData, Transaction, TransactionChanges } from "./types";

/** Options of {@link createTestCollection}: `createCollection`'s, with the data the fake backend starts with. */
export interface TestCollectionOptions<T extends Item = AnyItem> extends Omit<CollectionConfig<T>, "sync" | "initialData" | "online"> {
  /** What the backend holds at the start (available in `collection.data` at once). @default {} */
  initialData?: SyncData<T>;
  /**
   * A sync source to wrap: its `setup` is called and its updates reach the
   * collection too; `initialData` wins over the data it returns.
   * @default a sync with a random id and no data of its own
   */
  sync?: SyncConfig<T>;
  /** Start offline. @default false */
  offline?: boolean;
}

/** Controls of the fake backend behind a test collection. */
export interface SyncControl<T extends Item = AnyItem> {
  /** Sends `data` to the collection as a sync update (a patch: items replace, `null` deletes). */
  emitUpdate(data: SyncData<T>): void;
  /** Every later persist takes `ms` milliseconds (a timer: works with fake timers). @default 0 */
  setNetworkDelay(ms: number): void;
  /** The next persist rejects (a plain, retriable `Error`), after the network delay. */
  failNextPersist(error?: Error): void;
  /** Switches the client's online status (attempts wait while offline). */
  setOnline(online: boolean): void;
  /** The persists that succeeded, in order, with their changes. */
  readonly persisted: ReadonlyArray<{ transaction: Transaction; changes: TransactionChanges }>;
}

/**
 * The specification's test harness: a collection over an in-memory backend
 * the test controls. Without a `mutationFn`, a persist succeeds after the
 * network delay unless `failNextPersist()` was called; with one, the delay and
 * the injected failure come first, then the given `persist` runs. Every call
 * builds a new collection (an older one with the same id is disposed).
 * `persistence` defaults to `false` here.
 */
export function createTestCollection<T extends Item = AnyItem>(
  options: TestCollectionOptions<T> = {},
): { collection: Collection<T>; syncControl: SyncControl<T> } {
  let delay = 0;
  const failures: Error[] = [];
  let online = !options.offline;
  const onlineListeners = new Set<() => void>();
  let onUpdate: ((data: SyncData<T>) => void) | undefined;
  const persisted: Array<{ transaction: Transaction; changes: TransactionChanges }> = [];
  const inner = options.sync;

  const onlineStatus: OnlineStatus = {
    isOnline: () => online,
    subscribe(listener) {
      onlineListeners.add(listener);
      return () => void onlineListeners.delete(listener);
    },
  };

  // What the fake backend holds: initialData plus every update emitted so far.
  const backend = new Map<string, T>();
  const applyToBackend = (data: SyncData<T>) => {
    for (const [id, item] of patchEntriesOf(data)) {
      if (item === null) backend.delete(id);
      else backend.set(id, item);
    }
  };
  if (options.initialData !== undefined) applyToBackend(options.initialData);

  const sync: SyncConfig<T> = {
    id: inner?.id ?? `test-${randomId()}`,
    async setup(params) {
      if (inner !== undefined) {
        const own = await inner.setup(params);
        // initialData and emitted updates win over what the wrapped source returned.
        const merged = new Map<string, T | null>();
        for (const [id, item] of patchEntriesOf(own.data)) merged.set(id, item);
        for (const [id, item] of backend) merged.set(id, item);
        onUpdate = params.onUpdate;
        return { data: Object.fromEntries(merged) as Record<string, T | null> };
      }
      onUpdate = params.onUpdate;
      return { data: [...backend.values()] };
    },
  };

  const network = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const failure = failures.shift();
      const finish = () => (failure === undefined ? resolve() : reject(failure));
      if (delay > 0) (options.timers ?? systemTimers).setTimeout(finish, delay);
      else queueMicrotask(finish);
    });

  const user = options.mutationFn;
  const mutationFn: MutationFn<T> = {
    async persist(params) {
      await network();
      if (user !== undefined) await user.persist(params);
      persisted.push({ transaction: params.transaction, changes: params.changes });
    },
  };
  if (user?.awaitSync !== undefined) mutationFn.awaitSync = user.awaitSync;

  const config: CollectionConfig<T> = {
    ...options,
    sync,
    mutationFn,
    persistence: options.persistence ?? false,
    online: onlineStatus,
  };
  if (options.initialData !== undefined) config.initialData = options.initialData;
  const collection = buildCollection(config, true);

  const syncControl: SyncControl<T> = {
    emitUpdate(data) {
      applyToBackend(data);
      onUpdate?.(data); // before setup resolved, the backend state it returns carries the update
    },
    setNetworkDelay(ms) {
      if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
        throw new TransactionsError(TransactionsErrorCode.InvalidArgument, `setNetworkDelay: expected a non-negative number of ms, got ${String(ms)}`);
      }
      delay = ms;
    },
    failNextPersist(error) {
      failures.push(error ?? new Error("failNextPersist: simulated persist failure"));
    },
    setOnline(value) {
      online = value;
      for (const listener of [...onlineListeners]) listener();
    },
    persisted,
  };
  return { collection, syncControl };
}

function patchEntriesOf<T extends Item>(data: SyncData<T>): Array<readonly [string, T | null]> {
  return Array.isArray(data) ? (data as readonly T[]).map((item) => [item.id, item] as const) : Object.entries(data as Record<string, T | null>);
}
