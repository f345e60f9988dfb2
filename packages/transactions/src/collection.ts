import { produce, type Draft } from "immer";
import { decodeTransaction, toRecord } from "./codec";
import type { Collection, CollectionConfig, ItemChanges } from "./collection-types";
import { browserOnlineStatus, consoleLogger, randomId, systemTimers } from "./environment";
import { TransactionsError, TransactionsErrorCode, isNonRetriable, toError } from "./errors";
import { copyJson } from "./json";
import { applyMutation, changesOf, metadataOf, objectId } from "./mutations";
import { backoffDelay, resolveRetry, type ResolvedRetry } from "./retry";
import { isSettled, isUnfinished, transition, type TransitionEvent } from "./state-machine";
import { createIndexedDBStorage } from "./storage/indexeddb-storage";
import { StorageWriter } from "./storage/storage-writer";
import type { TransactionStorage } from "./storage/types";
import { SyncSource, patchEntries } from "./sync-source";
import type {
  Item,
  Logger,
  MutationFn,
  MutationMetadata,
  MutationStrategy,
  MutationType,
  OnlineStatus,
  PendingMutation,
  PruneOptions,
  SyncConfig,
  Timers,
  Transaction,
} from "./types";

export type { Collection, CollectionConfig, ItemChanges } from "./collection-types";

interface Entry {
  readonly tx: Transaction;
  /** Creation order in this session (recovered entries: negative, oldest first). */
  seq: number;
  /** Creation order as stored (ties of created_at). */
  order: number;
  /** Unfinished transactions it waits for, ordered strategy (created on first use: most have none). */
  deps: Set<Entry> | undefined;
  /** Transactions waiting for this one. */
  dependents: Set<Entry> | undefined;
  /** Failed attempts that count against the retry budget (offline failures do not). */
  countedFailures: number;
  timer: unknown;
  running: boolean;
  /** Resolves when its first record is in storage (undefined: nothing to wait for). */
  saved: Promise<void> | undefined;
  waiters: Array<{ resolve: (tx: Transaction) => void; reject: (error: Error) => void }> | undefined;
}

type Store<T> = Map<string, T>;

/** The implementation behind {@link createCollection}. */
export class CollectionCore<T extends Item> implements Collection<T> {
  readonly id: string;
  readonly ready: Promise<void>;
  readonly #sync: SyncConfig<T>;
  readonly #mutationFn: MutationFn<T> | undefined;
  readonly #parallel: boolean;
  readonly #merge: MutationStrategy<T>["merge"];
  readonly #retry: ResolvedRetry;
  readonly #online: OnlineStatus;
  readonly #timers: Timers;
  readonly #logger: Logger;
  readonly #prune: PruneOptions | undefined;
  readonly #onDispose: () => void;
  readonly #storage: TransactionStorage | undefined; // closed on dispose when it is the default one
  readonly #writer: StorageWriter;
  readonly #ownsStorage: boolean;

  /** Synced state applied to the view. */
  readonly #synced: Store<T> = new Map();
  /** Everything the backend sent (including updates held back for locked objects). */
  readonly #source: SyncSource<T>;
  /** Sync updates waiting for their object's lock to be released, by id (latest wins). */
  readonly #held = new Map<string, T | null>();
  /** Unfinished entries touching each object, oldest first. */
  readonly #pendingByItem = new Map<string, Entry[]>();
  readonly #view: Store<T> = new Map();
  #dataCache: Record<string, T> | undefined;

  readonly #entries = new Map<string, Entry>();
  #order: Entry[] = [];
  #txCache: Transaction[] | undefined;
  #seq = 0;
  #open: { entry: Entry; touched: Set<string> } | undefined;
  #recovered = false;
  readonly #waitingOnline = new Set<Entry>();
  #unsubscribeOnline: (() => void) | undefined;
  #disposed = false;

  readonly #dataListeners = new Set<(data: Readonly<Record<string, T>>) => void>();
  readonly #txListeners = new Set<(transactions: readonly Transaction[]) => void>();
  #txNotifyScheduled = false;
  readonly #onTransactionsChanged: () => void;

  constructor(config: CollectionConfig<T>, hooks: { onDispose: () => void; onTransactionsChanged: () => void }) {
    if (config === null || typeof config !== "object" || config.sync === null || typeof config.sync !== "object") {
      throw new TransactionsError(TransactionsErrorCode.InvalidConfig, "createCollection needs { sync: { id, setup } }");
    }
    if (typeof config.sync.id !== "string" || config.sync.id === "") {
      throw new TransactionsError(TransactionsErrorCode.InvalidConfig, "createCollection: sync.id must be a non-empty string");
    }
    if (typeof config.sync.setup !== "function") {
      throw new TransactionsError(TransactionsErrorCode.InvalidConfig, `createCollection("${config.sync.id}"): sync.setup must be a function`);
    }
    if (config.mutationFn !== undefined && typeof config.mutationFn?.persist !== "function") {
      throw new TransactionsError(TransactionsErrorCode.InvalidConfig, `createCollection("${config.sync.id}"): mutationFn.persist must be a function`);
    }
    const p = config.persistence;
    if (p !== undefined && p !== false && (p === null || typeof p !== "object" || typeof p.load !== "function" || typeof p.save !== "function" || typeof p.remove !== "function")) {
      throw new TransactionsError(
        TransactionsErrorCode.InvalidConfig,
        `createCollection("${config.sync.id}"): persistence must be false or a TransactionStorage ({ load, save, remove })`,
      );
    }
    const strategy = config.strategy ?? { type: "ordered" };
    if (strategy.type !== "ordered" && strategy.type !== "parallel") {
      throw new TransactionsError(TransactionsErrorCode.InvalidConfig, `createCollection("${config.sync.id}"): strategy.type must be "ordered" or "parallel"`);
    }
    this.id = config.sync.id;
    this.#sync = config.sync;
    this.#mutationFn = config.mutationFn;
    this.#parallel = strategy.type === "parallel";
    this.#merge = strategy.merge;
    this.#retry = resolveRetry(config.retry);
    this.#online = config.online ?? browserOnlineStatus;
    this.#timers = config.timers ?? systemTimers;
    this.#logger = config.logger ?? consoleLogger;
    this.#prune = config.prune;
    this.#onDispose = hooks.onDispose;
    this.#onTransactionsChanged = hooks.onTransactionsChanged;
    this.#ownsStorage = config.persistence === undefined;
    this.#storage = config.persistence === false ? undefined : (config.persistence ?? createIndexedDBStorage());
    this.#writer = new StorageWriter(this.id, this.#storage, this.#logger);
    this.#source = new SyncSource(this.id, this.#logger);
    if (config.initialData !== undefined) this.#receive(patchEntries(config.initialData, `createCollection("${this.id}").initialData`), false);
    // Destructuring works like the specification's hook: `const { insert, update } = collection`.
    this.insert = this.insert.bind(this);
    this.update = this.update.bind(this);
    this.delete = this.delete.bind(this);
    this.withMutation = this.withMutation.bind(this);
    this.getTransactions = this.getTransactions.bind(this);
    this.getTransaction = this.getTransaction.bind(this);
    this.subscribeTransactions = this.subscribeTransactions.bind(this);
    this.subscribe = this.subscribe.bind(this);
    this.whenSettled = this.whenSettled.bind(this);
    this.pruneHistory = this.pruneHistory.bind(this);
    this.dispose = this.dispose.bind(this);
    this.#unsubscribeOnline = this.#online.subscribe(() => this.#onOnlineChange());
    this.ready = this.#start();
    // Reported through `ready` and the log; never an unhandled rejection.
    this.ready.catch((error) => this.#logger.error(`sync setup of "${this.id}" failed`, error));
  }

  // ── public API ──────────────────────────────────────────────────────────

  get data(): Readonly<Record<string, T>> {
    if (this.#dataCache === undefined) {
      const out: Record<string, T> = {};
      for (const [id, item] of this.#view) out[id] = item;
      this.#dataCache = out;
    }
    return this.#dataCache;
  }

  insert(item: T): Transaction {
    const what = `insert into "${this.id}"`;
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      throw new TransactionsError(TransactionsErrorCode.InvalidArgument, `${what}: the item must be an object`);
    }
    if (typeof item.id !== "string" || item.id === "") {
      throw new TransactionsError(TransactionsErrorCode.InvalidArgument, `${what}: the item needs a non-empty string id`);
    }
    if (this.#view.has(item.id)) {
      throw new TransactionsError(TransactionsErrorCode.AlreadyExists, `${what}: an item with id "${item.id}" already exists`);
    }
    const clean = copyJson(item, () => `${what}: item "${item.id}"`) as unknown as Record<string, unknown>;
    // `modified` and `changes` of an insert are both the item: one copy, shared.
    return this.#mutate("insert", item.id, {}, clean, clean);
  }

  update(id: string, changes: ItemChanges<T> | ((draft: Draft<T>) => void | T)): Transaction {
    const what = `update of "${this.id}"`;
    const current = this.#view.get(id);
    if (typeof id !== "string" || current === undefined) {
      throw new TransactionsError(TransactionsErrorCode.NotFound, `${what}: no item with id ${JSON.stringify(id)}`);
    }
    let set: Record<string, unknown> = {};
    const removed: string[] = [];
    if (typeof changes === "function") {
      const next = produce(current, changes as (draft: Draft<T>) => void) as Record<string, unknown>;
      if (next === null || typeof next !== "object" || next["id"] !== id) {
        throw new TransactionsError(TransactionsErrorCode.InvalidArgument, `${what} "${id}": the recipe must keep the item an object with id "${id}"`);
      }
      for (const [key, value] of Object.entries(next)) {
        if (value === undefined) {
          if (key in current) removed.push(key);
        } else if (!Object.is(value, (current as unknown as Record<string, unknown>)[key])) set[key] = value;
      }
      for (const key of Object.keys(current)) if (!(key in next)) removed.push(key);
    } else {
      if (changes === null || typeof changes !== "object" || Array.isArray(changes)) {
        throw new TransactionsError(TransactionsErrorCode.InvalidArgument, `${what} "${id}": changes must be an object or a recipe function`);
      }
      for (const [key, value] of Object.entries(changes)) {
        if (key === "id" && value !== id) {
          throw new TransactionsError(TransactionsErrorCode.InvalidArgument, `${what} "${id}": changes cannot change the id`);
        }
        if (value === undefined) removed.push(key);
        else set[key] = value;
      }
    }
    set = copyJson(set, () => `${what} "${id}"`);
    const modified: Record<string, unknown> = { ...current, ...set };
    for (const key of removed) delete modified[key];
    const original = { ...current } as unknown as Record<string, unknown>;
    return this.#mutate("update", id, original, modified, set, removed.length > 0 ? removed : undefined);
  }

  delete(id: string): Transaction {
    const current = this.#view.get(id);
    if (typeof id !== "string" || current === undefined) {
      throw new TransactionsError(TransactionsErrorCode.NotFound, `delete from "${this.id}": no item with id ${JSON.stringify(id)}`);
    }
    const original = { ...current } as unknown as Record<string, unknown>;
    return this.#mutate("delete", id, original, { ...original }, {});
  }

  withMutation(fn: () => void): Transaction {
    if (typeof fn !== "function") {
      throw new TransactionsError(TransactionsErrorCode.InvalidArgument, `withMutation on "${this.id}": expected a function`);
    }
    if (this.#open !== undefined) {
      fn();
      return this.#open.entry.tx;
    }
    this.#assertAlive("withMutation");
    const open = { entry: this.#newEntry(), touched: new Set<string>() };
    this.#open = open;
    let result: unknown;
    try {
      result = fn();
      if (result !== null && typeof result === "object" && typeof (result as { then?: unknown }).then === "function") {
        (result as Promise<unknown>).then(undefined, () => {});
        throw new TransactionsError(
          TransactionsErrorCode.InvalidArgument,
          `withMutation on "${this.id}": the function returned a Promise; it must be synchronous (nothing was applied)`,
        );
      }
    } catch (error) {
      this.#open = undefined;
      this.#discardOpen(open.entry, open.touched);
      throw error;
    }
    this.#open = undefined;
    this.#commit(open.entry, open.touched);
    return open.entry.tx;
  }

  getTransactions(): readonly Transaction[] {
    this.#txCache ??= this.#order.map((e) => e.tx);
    return this.#txCache;
  }

  getTransaction(id: string): Transaction | undefined {
    return this.#entries.get(id)?.tx;
  }

  subscribeTransactions(listener: (transactions: readonly Transaction[]) => void): () => void {
    if (typeof listener !== "function") throw new TransactionsError(TransactionsErrorCode.InvalidArgument, "subscribeTransactions: listener must be a function");
    this.#txListeners.add(listener);
    return () => void this.#txListeners.delete(listener);
  }

  subscribe(listener: (data: Readonly<Record<string, T>>) => void): () => void {
    if (typeof listener !== "function") throw new TransactionsError(TransactionsErrorCode.InvalidArgument, "subscribe: listener must be a function");
    this.#dataListeners.add(listener);
    return () => void this.#dataListeners.delete(listener);
  }

  whenSettled(transaction: Transaction | string): Promise<Transaction> {
    const id = typeof transaction === "string" ? transaction : transaction?.id;
    const entry = id === undefined ? undefined : this.#entries.get(id);
    if (entry === undefined) {
      return Promise.reject(new TransactionsError(TransactionsErrorCode.NotFound, `whenSettled: "${this.id}" holds no transaction ${JSON.stringify(id)}`));
    }
    if (isSettled(entry.tx.state)) return Promise.resolve(entry.tx);
    if (this.#disposed) return Promise.reject(new TransactionsError(TransactionsErrorCode.Disposed, `Collection "${this.id}" was disposed`));
    return new Promise((resolve, reject) => (entry.waiters ??= []).push({ resolve, reject }));
  }

  pruneHistory(options: PruneOptions | undefined = this.#prune): number {
    if (options === undefined) return 0;
    const settled = this.#order.filter((e) => isSettled(e.tx.state));
    const drop = new Set<Entry>();
    if (options.maxAgeMs !== undefined) {
      const cutoff = this.#timers.now() - options.maxAgeMs;
      for (const e of settled) if (e.tx.updated_at.getTime() < cutoff) drop.add(e);
    }
    if (options.maxSettled !== undefined) {
      const excess = settled.length - Math.max(0, options.maxSettled);
      for (let i = 0; i < excess; i++) drop.add(settled[i]!);
    }
    if (drop.size === 0) return 0;
    this.#order = this.#order.filter((e) => !drop.has(e));
    for (const e of drop) this.#entries.delete(e.tx.id);
    this.#writer.remove([...drop].map((e) => e.tx.id));
    this.#transactionsChanged();
    return drop.size;
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#onDispose();
    this.#unsubscribeOnline?.();
    for (const entry of this.#entries.values()) {
      if (entry.timer !== undefined) this.#timers.clearTimeout(entry.timer);
      entry.timer = undefined;
      if (entry.waiters === undefined || entry.waiters.length === 0) continue;
      const error = new TransactionsError(TransactionsErrorCode.Disposed, `Collection "${this.id}" was disposed before transaction ${entry.tx.id} settled`);
      for (const waiter of entry.waiters.splice(0)) waiter.reject(error);
    }
    await this.#writer.idle(); // every record dirtied before dispose has a write scheduled
    if (this.#ownsStorage) await this.#storage?.close?.().catch(() => {});
  }

  // ── mutations and commit ────────────────────────────────────────────────

  #assertAlive(call: string): void {
    if (this.#disposed) throw new TransactionsError(TransactionsErrorCode.Disposed, `${call} on "${this.id}": the collection was disposed`);
  }

  #newEntry(): Entry {
    const at = this.#now();
    return {
      tx: { id: randomId(), state: "pending", created_at: at, updated_at: at, mutations: [], attempts: [], current_attempt: 0 },
      seq: ++this.#seq,
      order: this.#seq,
      deps: undefined,
      dependents: undefined,
      countedFailures: 0,
      timer: undefined,
      running: false,
      saved: undefined,
      waiters: undefined,
    };
  }

  #mutate(type: MutationType, id: string, original: Record<string, unknown>, modified: Record<string, unknown>, changes: Record<string, unknown>, removed?: string[]): Transaction {
    this.#assertAlive(type);
    const metadata: MutationMetadata = { type, collection: this.id };
    if (removed !== undefined) metadata.removed = removed;
    const at = this.#now();
    const mutation: PendingMutation = { mutationId: randomId(), original, modified, changes, metadata, created_at: at, updated_at: at, state: "created" };
    if (this.#open !== undefined) {
      const { entry, touched } = this.#open;
      entry.tx.mutations.push(mutation);
      this.#track(entry, id);
      touched.add(id);
      this.#recompute(id);
      this.#dataChanged();
      return entry.tx;
    }
    const entry = this.#newEntry();
    entry.tx.mutations.push(mutation);
    this.#track(entry, id);
    this.#recompute(id);
    this.#commit(entry, new Set([id]));
    return entry.tx;
  }

  #track(entry: Entry, id: string): void {
    let list = this.#pendingByItem.get(id);
    if (list === undefined) this.#pendingByItem.set(id, (list = []));
    if (list[list.length - 1] === entry) return;
    // Keep creation order (recovered entries carry older sequence numbers).
    let i = list.length;
    while (i > 0 && list[i - 1]!.seq > entry.seq) i--;
    list.splice(i, 0, entry);
  }

  #untrack(entry: Entry): Set<string> {
    const ids = new Set(entry.tx.mutations.map(objectId));
    for (const id of ids) {
      const list = this.#pendingByItem.get(id);
      if (list === undefined) continue;
      const i = list.indexOf(entry);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.#pendingByItem.delete(id);
    }
    return ids;
  }

  #discardOpen(entry: Entry, touched: Set<string>): void {
    this.#untrack(entry);
    for (const id of touched) this.#recompute(id);
    this.#dataChanged();
  }

  /** The unfinished entries older than `entry` that touch one of its objects. */
  #earlierOnSameObjects(entry: Entry): Entry[] {
    const out = new Set<Entry>();
    for (const id of new Set(entry.tx.mutations.map(objectId))) {
      for (const other of this.#pendingByItem.get(id) ?? []) {
        if (other !== entry && other.seq < entry.seq && isUnfinished(other.tx.state)) out.add(other);
      }
    }
    return [...out];
  }

  #commit(entry: Entry, touched: Set<string>): void {
    const tx = entry.tx;
    if (!this.#parallel) {
      for (const dep of this.#earlierOnSameObjects(entry)) this.#addDependency(entry, dep);
      // The initial state: a new transaction starts queued when it has to wait.
      if (entry.deps !== undefined && entry.deps.size > 0) tx.state = "queued";
    }
    this.#entries.set(tx.id, entry);
    this.#order.push(entry);
    for (const id of touched) this.#recompute(id);
    this.#dataChanged();
    this.#save(entry);
    this.#transactionsChanged();
    if (tx.mutations.length === 0) {
      this.#dispatch(entry, "empty");
      this.#settle(entry);
      return;
    }
    queueMicrotask(() => this.#run(entry));
  }

  #addDependency(entry: Entry, dep: Entry): void {
    (entry.deps ??= new Set()).add(dep);
    (dep.dependents ??= new Set()).add(entry);
    let latest: Entry | undefined;
    for (const d of entry.deps) if (latest === undefined || d.seq > latest.seq) latest = d;
    if (latest !== undefined) entry.tx.queued_behind = latest.tx.id;
  }

  // ── the state machine and the runner ────────────────────────────────────

  /** The one place a transaction's state changes. */
  #dispatch(entry: Entry, event: TransitionEvent): void {
    const tx = entry.tx;
    tx.state = transition(tx.state, event);
    tx.updated_at = this.#now();
    const mutationState = tx.state === "persisting" ? "persisting" : tx.state === "completed" ? "synced" : "created";
    for (const m of tx.mutations) {
      if (m.state !== mutationState) {
        m.state = mutationState;
        m.updated_at = tx.updated_at;
      }
    }
    this.#save(entry);
    this.#transactionsChanged();
  }

  #run(entry: Entry): void {
    if (this.#disposed || entry.running || entry.timer !== undefined || entry.tx.state !== "pending" || !this.#recovered) return;
    if (!this.#online.isOnline()) {
      this.#waitingOnline.add(entry);
      return;
    }
    entry.running = true;
    void this.#attempt(entry).finally(() => {
      entry.running = false;
    });
  }

  async #attempt(entry: Entry): Promise<void> {
    // Always yield once: the transaction is seen `pending` before its first attempt starts.
    await entry.saved;
    if (this.#disposed || entry.tx.state !== "pending") return;
    const tx = entry.tx;
    tx.current_attempt += 1;
    const attempt = { id: randomId(), started_at: this.#now() } as Transaction["attempts"][number];
    tx.attempts.push(attempt);
    this.#dispatch(entry, "start");
    const changes = changesOf(tx.mutations);
    try {
      if (this.#mutationFn !== undefined) await this.#mutationFn.persist({ changes, attempt: tx.current_attempt, transaction: tx });
    } catch (thrown) {
      if (this.#disposed) return;
      this.#attemptFailed(entry, attempt, toError(thrown));
      return;
    }
    if (this.#disposed) return;
    attempt.completed_at = this.#now();
    this.#dispatch(entry, "persisted");
    const awaitSync = this.#mutationFn?.awaitSync;
    if (awaitSync !== undefined) {
      try {
        await awaitSync({ changes, transaction: tx, sync: this.#source.instance });
      } catch (thrown) {
        if (this.#disposed) return;
        const error = toError(thrown);
        this.#fail(entry, "fail", error, `awaitSync failed: ${error.message}`);
        return;
      }
      if (this.#disposed) return;
    }
    this.#complete(entry, awaitSync === undefined);
  }

  #attemptFailed(entry: Entry, attempt: Transaction["attempts"][number], error: Error): void {
    const tx = entry.tx;
    attempt.completed_at = this.#now();
    attempt.error = error;
    const offline = !this.#online.isOnline();
    if (!offline) entry.countedFailures += 1;
    const retriable = !isNonRetriable(error) && (this.#retry.shouldRetry?.(error, tx.current_attempt) ?? true);
    if (!retriable) {
      this.#fail(entry, "fail", error, error.message);
      return;
    }
    if (entry.countedFailures > this.#retry.retries) {
      this.#fail(entry, "fail", error, `Persist failed after ${tx.current_attempt} attempts: ${error.message}`);
      return;
    }
    const delay = backoffDelay(Math.max(0, entry.countedFailures - 1), this.#retry);
    attempt.retry_scheduled_for = new Date(this.#timers.now() + delay);
    this.#dispatch(entry, "retry");
    // No longer persisting: its objects are unlocked until the next attempt.
    this.#release(new Set(tx.mutations.map(objectId)));
    this.#dataChanged();
    entry.timer = this.#timers.setTimeout(() => {
      entry.timer = undefined;
      this.#run(entry);
    }, delay);
  }

  #fail(entry: Entry, event: TransitionEvent, error: Error, message: string, transactionId?: string): void {
    const tx = entry.tx;
    tx.error = transactionId === undefined ? { message, error } : { transaction_id: transactionId, message, error };
    this.#dispatch(entry, event);
    const ids = this.#untrack(entry);
    this.#release(ids);
    this.#dataChanged();
    // Roll back what was queued behind it, naming the transaction that failed.
    const root = transactionId ?? tx.id;
    for (const dependent of [...(entry.dependents ?? [])]) {
      if (dependent.tx.state !== "queued") continue;
      const cause = new TransactionsError(
        TransactionsErrorCode.DependencyFailed,
        `Rolled back: transaction ${root} it was queued behind failed`,
        { cause: error },
      );
      this.#fail(dependent, "dependency_failed", cause, cause.message, root);
    }
    this.#settle(entry);
  }

  #complete(entry: Entry, fold: boolean): void {
    this.#dispatch(entry, "synced");
    const ids = this.#untrack(entry);
    this.#release(ids);
    if (fold) {
      // No awaitSync: a successful persist is taken as synced, so its effect
      // joins the synced state instead of vanishing until the next sync.
      for (const mutation of entry.tx.mutations) {
        const id = objectId(mutation);
        const next = applyMutation(this.#synced.get(id), mutation);
        if (metadataOf(mutation).type === "update" && next === undefined) continue;
        this.#setSynced(id, next ?? null, true);
      }
      for (const id of ids) this.#recompute(id);
    }
    this.#dataChanged();
    this.#settle(entry);
    if (entry.dependents !== undefined) for (const dependent of [...entry.dependents]) this.#dependencyDone(dependent, entry);
  }

  #dependencyDone(entry: Entry, dep: Entry): void {
    entry.deps?.delete(dep);
    dep.dependents?.delete(entry);
    if (entry.tx.state !== "queued") return;
    if (entry.deps !== undefined && entry.deps.size > 0) {
      let latest: Entry | undefined;
      for (const d of entry.deps) if (latest === undefined || d.seq > latest.seq) latest = d;
      entry.tx.queued_behind = latest!.tx.id;
      return;
    }
    delete entry.tx.queued_behind;
    this.#dispatch(entry, "unblock");
    this.#run(entry);
  }

  #settle(entry: Entry): void {
    if (entry.waiters !== undefined) for (const waiter of entry.waiters.splice(0)) waiter.resolve(entry.tx);
    if (entry.deps !== undefined) for (const dep of entry.deps) dep.dependents?.delete(entry);
    entry.deps = undefined;
    if (this.#prune !== undefined) this.pruneHistory(this.#prune);
  }

  #onOnlineChange(): void {
    if (!this.#online.isOnline() || this.#waitingOnline.size === 0) return;
    const waiting = [...this.#waitingOnline];
    this.#waitingOnline.clear();
    for (const entry of waiting) this.#run(entry);
  }

  // ── synced state and the optimistic view ────────────────────────────────

  #isLocked(id: string): boolean {
    for (const e of this.#pendingByItem.get(id) ?? []) {
      if (e.tx.state === "persisting" || e.tx.state === "persisted_awaiting_sync") return true;
    }
    return false;
  }

  /** Applies an update from the backend (`notify`: tell `awaitSync` listeners). */
  #receive(entries: Array<[string, T | null]>, notify: boolean): void {
    for (const [id, item] of entries) {
      this.#source.set(id, item);
      if (!this.#parallel && this.#isLocked(id)) this.#held.set(id, item);
      else {
        this.#held.delete(id);
        this.#setSynced(id, item, false);
        this.#recompute(id);
      }
    }
    this.#dataChanged();
    if (notify) this.#source.emit(entries);
  }

  #setSynced(id: string, item: T | null, alsoServer: boolean): void {
    if (item === null) this.#synced.delete(id);
    else this.#synced.set(id, item);
    if (alsoServer) this.#source.set(id, item);
  }

  /** Applies held sync updates of `ids` that are no longer locked. */
  #release(ids: Iterable<string>): void {
    for (const id of ids) {
      if (this.#held.has(id) && !this.#isLocked(id)) {
        this.#setSynced(id, this.#held.get(id) ?? null, false);
        this.#held.delete(id);
      }
      this.#recompute(id);
    }
  }

  #recompute(id: string): void {
    let value: T | undefined = this.#synced.get(id);
    const pending = this.#pendingByItem.get(id);
    if (pending !== undefined) {
      const mutations: PendingMutation[] = [];
      for (const e of pending) for (const m of e.tx.mutations) if (objectId(m) === id) mutations.push(m);
      if (this.#parallel && this.#merge !== undefined && mutations.length > 0) value = this.#merge(value, mutations);
      for (const m of mutations) value = applyMutation(value, m);
    }
    const before = this.#view.get(id);
    if (value === undefined) {
      if (before === undefined) return;
      this.#view.delete(id);
    } else {
      if (before === value) return;
      this.#view.set(id, value);
    }
    this.#dataCache = undefined;
  }

  #dataChanged(): void {
    if (this.#dataListeners.size === 0) return;
    const data = this.data;
    for (const listener of [...this.#dataListeners]) {
      try {
        listener(data);
      } catch (error) {
        this.#logger.error(`a data listener of "${this.id}" threw`, error);
      }
    }
  }

  #transactionsChanged(): void {
    this.#txCache = undefined;
    this.#onTransactionsChanged();
    if (this.#txNotifyScheduled || this.#txListeners.size === 0) return;
    this.#txNotifyScheduled = true;
    queueMicrotask(() => {
      this.#txNotifyScheduled = false;
      const transactions = this.getTransactions();
      for (const listener of [...this.#txListeners]) {
        try {
          listener(transactions);
        } catch (error) {
          this.#logger.error(`a transactions listener of "${this.id}" threw`, error);
        }
      }
    });
  }

  // ── start-up: sync setup and recovery ──────────────────────────────────

  async #start(): Promise<void> {
    // Sync starts at once; recovery runs beside it. Nothing persists before recovery is done.
    const setup = this.#setupSync();
    setup.catch(() => {});
    await this.#recover();
    this.#recovered = true;
    for (const entry of [...this.#order]) this.#run(entry);
    await setup;
  }

  async #setupSync(): Promise<void> {
    // Updates that arrive while setup runs are newer than its snapshot: re-applied after it.
    let during: Array<Array<[string, T | null]>> | undefined = [];
    const { data } = await this.#sync.setup({
      onUpdate: (update) => {
        if (this.#disposed) return;
        const entries = patchEntries(update, `sync "${this.id}" onUpdate`);
        during?.push(entries);
        this.#receive(entries, true);
      },
    });
    const later = during;
    during = undefined;
    if (this.#disposed) return;
    this.#receive(patchEntries(data, `sync "${this.id}" setup`), true);
    for (const entries of later) this.#receive(entries, false);
  }

  async #recover(): Promise<void> {
    if (!this.#writer.active) return;
    const records = await this.#writer.load();
    if (this.#disposed) return;
    const recovered: Array<{ tx: Transaction; order: number }> = [];
    for (const record of records) {
      try {
        const order = typeof record?.order === "number" ? record.order : 0;
        recovered.push({ tx: decodeTransaction(record?.transaction), order });
      } catch (error) {
        this.#logger.error(`skipping an unreadable stored transaction of "${this.id}"`, error);
      }
    }
    recovered.sort((a, b) => a.tx.created_at.getTime() - b.tx.created_at.getTime() || a.order - b.order);
    // Recovered transactions are older than any created since start: number them first.
    const live = this.#order;
    let seq = -recovered.length;
    const entries: Entry[] = recovered.map(({ tx, order }) => ({ ...this.#newEntry(), tx, seq: seq++, order }));
    for (const entry of entries) {
      const tx = entry.tx;
      this.#entries.set(tx.id, entry);
      entry.countedFailures = tx.attempts.filter((a) => a.error !== undefined).length;
      if (isSettled(tx.state)) continue;
      if (tx.state === "persisted_awaiting_sync") {
        // Persist succeeded before the page closed: treated as synced, optimistic update dropped.
        this.#dispatch(entry, "synced");
        continue;
      }
      if (tx.state === "persisting") {
        const last = tx.attempts[tx.attempts.length - 1];
        if (last !== undefined && last.completed_at === undefined) {
          last.completed_at = this.#now();
          last.error = new TransactionsError(TransactionsErrorCode.Interrupted, "The page closed while this attempt was running");
        }
        this.#dispatch(entry, "interrupted");
      }
      for (const m of tx.mutations) this.#track(entry, objectId(m));
    }
    this.#order = [...entries, ...live];
    // Dependencies among recovered transactions, and of the ones created meanwhile on them.
    if (!this.#parallel) {
      for (const entry of this.#order) {
        if (!isUnfinished(entry.tx.state)) continue;
        const earlier = this.#earlierOnSameObjects(entry);
        if (entry.tx.state === "queued") {
          entry.deps = undefined;
          for (const dep of earlier) this.#addDependency(entry, dep);
          if (earlier.length === 0) {
            delete entry.tx.queued_behind;
            this.#dispatch(entry, "unblock");
          }
        } else if (entry.seq > 0 && earlier.length > 0) {
          for (const dep of earlier) this.#addDependency(entry, dep);
          this.#dispatch(entry, "block");
        }
      }
    }
    for (const id of this.#pendingByItem.keys()) this.#recompute(id);
    this.#dataChanged();
    this.#transactionsChanged();
    if (this.#prune !== undefined) this.pruneHistory(this.#prune);
  }

  // ── storage ────────────────────────────────────────────────────────────

  #save(entry: Entry): void {
    if (this.#disposed) return;
    entry.saved = this.#writer.schedule(entry.tx.id, () => toRecord(this.id, entry.tx, entry.order));
  }

  #now(): Date {
    return new Date(this.#timers.now());
  }
}

