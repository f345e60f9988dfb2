/**
 * Speculative operations (Replicache-style) on a Kalphite store: the same
 * named mutators the server runs, run at once against the store, sent to the
 * server through a layer-5 transaction (`@kalphite/transactions`: retries,
 * lifecycle in `getTransactions()`) whose `persist` hands the operation to a
 * `ModernSyncEngine` (durable there), and rebased whenever the server's
 * state arrives: pending effects undone, server state applied, the
 * operations the server has not applied yet run again on the new state —
 * written to the store as one batch, so subscribers and live views see one
 * change per rebase and never an intermediate state.
 *
 *   mutate.x(...args) ── run on the store ── (microtask) layer-5 transaction ── persist: engine.executeOperation
 *        │                                                                       awaitSync: settled by a state patch
 *        ▼                                                                             ▼
 *   pending: [op1, op2, …]  ◀── rebase ◀── onStatePatch (server state + the ops it applied)
 *                           ◀── rebase ◀── onOperationFailed (rejected: rolled back, promise rejects)
 */
import { deepFreeze, type Entity, type KalphiteStore } from "@kalphite/store";
import { createCollection, NonRetriableError, type Collection, type PruneOptions, type RetryOptions, type Timers, type Transaction } from "@kalphite/transactions";
import { EntitySlice, type Journal } from "./entity-slice";
import { formatPointer } from "./json-pointer";
import { SliceTx, StoreTx } from "./mutator-tx";
import { Emitter } from "./emitter";
import { CoordinatorError, CoordinatorErrorCode } from "./errors";
import type { Patch } from "./json-patch";

/** What a mutator reads and writes through on the client: the server's four methods (`MutatorTransaction`), plus `query`. */
export interface ClientMutatorTransaction {
  /** The entity `(type, id)` as this operation sees it, or `undefined`. */
  get<TEntity extends Entity = Entity>(type: string, id: string): Promise<TEntity | undefined>;
  /** Every entity of `type` as this operation sees it, ordered by id. */
  getByType<TEntity extends Entity = Entity>(type: string): Promise<TEntity[]>;
  /** `getByType` filtered by `predicate`. */
  query<TEntity extends Entity = Entity>(type: string, predicate?: (entity: TEntity) => boolean): Promise<TEntity[]>;
  /** Writes an entity (missing `id`/`type` are filled in). */
  upsert(type: string, id: string, entity: Record<string, unknown>): Promise<void>;
  /** Deletes `(type, id)` (a no-op when absent). */
  delete(type: string, id: string): Promise<void>;
  /** The engine's client id, when known. */
  readonly clientId: string;
  /** The operation's id at the engine; `0` during the first, speculative run (it is assigned when sent). */
  readonly operationId: number;
}

/** A named operation: the same function the server runs, `(tx, ...args)`. */
export type ClientMutator = (tx: ClientMutatorTransaction, ...args: any[]) => void | Promise<void>;

/** The arguments of a mutator after `tx`. */
export type MutatorArgs<TMutator> = TMutator extends (tx: any, ...args: infer TArgs) => any ? TArgs : never;

/** The part of `ModernSyncEngine` the optimistic client uses (do not also bind the engine to the store). */
export interface OptimisticEngine {
  /** Queues and sends a named operation; the engine assigns its id. */
  executeOperation(name: string, args: any[]): Promise<unknown>;
  /** Operations sent and not yet confirmed, with their ids. */
  getPendingOperations(): ReadonlyArray<{ id: number; name: string; clientId?: string; args?: readonly unknown[] }>;
  /** Server state: entities, deletions, the operations it includes (`operations`), `reset` for a full state (replaces every entity of the types it names). */
  onStatePatch(handler: (patch: EnginePatch) => void): unknown;
  /**
   * Optional: the server applied an operation (a push answer). Its promise
   * resolves; its effect stays until the next state patch brings the server's.
   */
  onOperationConfirmed?(handler: (operation: { id: number; name?: string; clientId?: string }) => void): unknown;
  /** The server refused an operation (final). */
  onOperationFailed(handler: (data: { operation: { id: number; name?: string; clientId?: string }; error: string }) => void): unknown;
}

/** The fields of `StatePatch` (from `@kalphite/sync-ops`) the client reads. */
export interface EnginePatch {
  readonly operations?: ReadonlyArray<{ id: number; clientId?: string }>;
  readonly entities?: readonly Entity[];
  readonly deleted?: ReadonlyArray<{ entityType: string; entityId: string }>;
  readonly reset?: boolean;
}

/** Options of `createOptimisticClient`. */
export interface OptimisticClientOptions<TMutators extends Record<string, ClientMutator>> {
  /** The store the operations run against. */
  store: KalphiteStore<any>;
  /** The sync engine (a `ModernSyncEngine`). */
  engine: OptimisticEngine;
  /** The named operations, the same ones the server has. */
  mutators: TMutators;
  /** Where errors no caller can receive go (a throwing listener). @default console.error */
  onError?: (error: unknown) => void;
  /**
   * Retries of the hand-off to the engine (the layer-5 transaction's
   * `persist`, e.g. while the engine's queue is full). Once they are used up
   * the operation is rolled back and its promise rejects with the engine's error.
   * @default the transactions default: 4 retries, 1 s doubling to 30 s, 25 % jitter
   */
  retry?: RetryOptions;
  /** Clock and timers of the layer-5 transactions (tests pass fakes). @default the globals */
  timers?: Timers;
  /** `sync.id` of the collection holding one transaction per operation. @default `"kalphite-operations:<n>"`, unique per client */
  collectionId?: string;
  /** Settled operation transactions kept in the collection's history (applied every `maxSettled` settlements, so up to twice as many are held between prunes). @default { maxSettled: 100 } */
  prune?: PruneOptions;
}

/**
 * The item of one operation's layer-5 transaction (`client.transactions`):
 * inserted when the operation is handed on, gone from `data` once the
 * transaction settles.
 */
export interface OperationRecord {
  /** The client's own sequence number (as a string), not the engine's id. */
  readonly id: string;
  readonly name: string;
  readonly args: unknown[];
}

/** One operation the server has not settled yet. */
export interface SpeculativeOperation {
  readonly name: string;
  readonly args: readonly unknown[];
  /** The engine's id, once sent. */
  readonly operationId: number | undefined;
}

/** A rejected operation, as `on("rejected")` reports it. */
export interface RejectedOperation extends SpeculativeOperation {
  /** The server's reason, as a `CoordinatorError` with code `REJECTED` (its `cause` is the reason string). */
  readonly error: CoordinatorError;
}

type ClientEvents = {
  rejected: (operation: RejectedOperation) => void;
  rebased: (info: { readonly replayed: number; readonly settled: number }) => void;
};

/** What `createOptimisticClient` returns. */
export interface OptimisticClient<TMutators extends Record<string, ClientMutator>> {
  /**
   * `mutate.<name>(...args)`: runs the mutator on the store now, sends it, and
   * resolves when the server has applied it; rejects with the mutator's own
   * error (nothing applied, nothing sent) or the server's refusal
   * (`REJECTED`, rolled back; later operations stay).
   */
  readonly mutate: { readonly [K in keyof TMutators]: (...args: MutatorArgs<TMutators[K]>) => Promise<void> };
  /** `"rejected"` (an operation was rolled back) and `"rebased"` (server state applied). Returns the unsubscribe function. */
  on<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): () => void;
  /** Pending operations, oldest first. */
  getPendingOperations(): SpeculativeOperation[];
  /** Resolves once every queued run and rebase has finished. */
  whenIdle(): Promise<void>;
  /**
   * The layer-5 collection: one transaction per operation (`pending` →
   * `persisting` (handed to the engine) → `persisted_awaiting_sync` →
   * `completed` once a server state includes it, or `failed` when the server
   * refused it or the hand-off ran out of retries). They are also in
   * `getTransactions()` / `subscribeTransactions` of `@kalphite/transactions`.
   */
  readonly transactions: Collection<OperationRecord>;
  /** Stops listening; pending promises stay unsettled, later `mutate` calls reject (`DISPOSED`). */
  dispose(): void;
}

interface Op {
  readonly name: string;
  readonly args: unknown[];
  operationId: number | undefined;
  clientId: string | undefined;
  /** Whole-store patches (paths `/<type>/<id>…`) undoing its current effect (its effect itself is re-derived by re-running it). */
  inverse: Patch[];
  /** The fast path's writes with what they replaced; turned into `inverse` when a rebase needs it. */
  undo: ReadonlyArray<{ type: string; id: string; next: Entity | undefined; prev?: Entity | undefined }> | undefined;
  /** The server included it in a state we applied. */
  applied: boolean;
  /** The server said it applied it (a push answer); the next state patch includes it. */
  confirmed: boolean;
  /** Left the pending list (settled by the server, rejected, or rolled back). */
  settled: boolean;
  /** Its first hand-off to the engine happened (or never will). */
  handed: boolean;
  /** Its item id in the layer-5 collection, once handed on. */
  key: string | undefined;
  /** Its layer-5 transaction's `awaitSync`: `true` once a server state includes it, the error once refused. */
  outcome: true | { error: unknown } | undefined;
  /** The waiting `awaitSync`. */
  sync: { resolve(): void; reject(error: unknown): void } | undefined;
  resolve(): void;
  reject(error: unknown): void;
}

/** True when every argument is a primitive (nothing to copy). */
function allPrimitive(args: unknown[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a !== null && (typeof a === "object" || typeof a === "function" || typeof a === "symbol")) return false;
  }
  return true;
}

let capturedResolve: (() => void) | undefined;
let capturedReject: ((error: unknown) => void) | undefined;
/** The executor of every operation's promise: one function, not a closure per call. */
const captureResolvers = (resolve: () => void, reject: (error: unknown) => void) => {
  capturedResolve = resolve;
  capturedReject = reject;
};
/** The initial `inverse` of an operation (never mutated: replaced when one is computed). */
const NO_PATCHES: Patch[] = [];

/** One settled promise, shared. */
const RESOLVED: Promise<void> = Promise.resolve();
/** The layer-5 transactions hand operations to the engine at once; the engine waits for the network. */
const ALWAYS_ONLINE = { isOnline: () => true, subscribe: () => () => undefined };
let clientCount = 0;

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function";

/**
 * Creates the optimistic client. Each operation is a layer-5 transaction
 * (`client.transactions`): its `persist` hands it to the engine (retried with
 * backoff), whose queue makes it durable; its `awaitSync` waits for a server
 * state that includes it. The engine's state patches and failures drive rebases.
 *
 * @example
 * const mutators = { addTodo: async (tx, id: string, title: string) => tx.upsert("todo", id, { title, done: false }) };
 * const client = createOptimisticClient({ store, engine, mutators });
 * await client.mutate.addTodo("t1", "Buy milk"); // store.todo shows it at once; resolves once the server applied it
 */
export function createOptimisticClient<TMutators extends Record<string, ClientMutator>>(options: OptimisticClientOptions<TMutators>): OptimisticClient<TMutators> {
  const { store, engine, mutators } = options;
  if (typeof store?.transaction !== "function" || typeof store.applyPatches !== "function") {
    throw new CoordinatorError(CoordinatorErrorCode.InvalidArgument, "createOptimisticClient: store must be a KalphiteStore (with transaction and applyPatches)");
  }
  for (const method of ["executeOperation", "getPendingOperations", "onStatePatch", "onOperationFailed"] as const) {
    if (typeof engine?.[method] !== "function") throw new CoordinatorError(CoordinatorErrorCode.InvalidArgument, `createOptimisticClient: engine.${method} must be a function (pass a ModernSyncEngine)`);
  }
  if (typeof mutators !== "object" || mutators === null) throw new CoordinatorError(CoordinatorErrorCode.InvalidArgument, "createOptimisticClient: mutators must be an object of functions");
  for (const [name, fn] of Object.entries(mutators)) {
    if (typeof fn !== "function") throw new CoordinatorError(CoordinatorErrorCode.InvalidArgument, `createOptimisticClient: mutators.${name} must be a function`);
  }
  const reportError = options.onError ?? ((error: unknown) => console.error("[@kalphite/coordinator]", error));
  const events = new Emitter<ClientEvents>((error) => reportError(error));
  let pending: Op[] = [];
  let disposed = false;
  let knownClientId: string | undefined;

  // One task at a time: a run or a rebase never sees another one half done.
  /** Queued work: an operation's first run, or a task (a rebase, a confirmation). */
  const tasks: (Op | (() => void | Promise<void>))[] = [];
  let running: Promise<void> | undefined;
  let idle: { promise: Promise<void>; resolve: () => void } | undefined;
  // A task scheduled while one runs synchronously (a store listener calling mutate) waits its turn.
  let pumping = false;
  const pump = (): void => {
    pumping = true;
    try {
      while (tasks.length > 0) {
        const task = tasks.shift()!;
        let result: void | Promise<void>;
        try {
          result = typeof task === "function" ? task() : runMutation(task);
        } catch (error) {
          reportError(error);
          continue;
        }
        if (isThenable(result)) {
          running = Promise.resolve(result)
            .catch(reportError)
            .then(() => {
              running = undefined;
              pump();
            });
          return;
        }
      }
    } finally {
      pumping = false;
    }
    checkIdle();
  };
  /** Operations accepted and not yet handed to the engine (`whenIdle` waits for them too). */
  let waitingHandOff = 0;
  const checkIdle = () => {
    if (idle && !running && !pumping && tasks.length === 0 && waitingHandOff === 0) {
      idle.resolve();
      idle = undefined;
    }
  };
  /** `op` no longer waits for its first hand-off (it was handed on, or it never will be). */
  const handed = (op: Op) => {
    if (op.handed) return;
    op.handed = true;
    waitingHandOff--;
    checkIdle();
  };
  const schedule = (task: Op | (() => void | Promise<void>)) => {
    tasks.push(task);
    if (!running && !pumping) pump();
  };

  type Outcome = { ok: true; journal: Journal } | { ok: false; error: unknown };

  /** Runs `op`'s mutator on `slice`; what it wrote is undone when it throws. Sync mutators finish synchronously. */
  const runOn = (slice: EntitySlice, op: Op): Outcome | Promise<Outcome> => {
    const journal = slice.begin();
    const done = (ok: boolean, error?: unknown): Outcome => {
      slice.end(journal, !ok);
      return ok ? { ok: true, journal } : { ok: false, error };
    };
    let result: unknown;
    try {
      result = mutators[op.name]!(new SliceTx(slice, op.clientId ?? knownClientId ?? "", op.operationId ?? 0), ...op.args);
    } catch (error) {
      return done(false, error);
    }
    if (!isThenable(result)) return done(true);
    return Promise.resolve(result).then(
      () => done(true),
      (error: unknown) => done(false, error),
    );
  };

  /**
   * Learns the engine's ids of sent operations. The engine numbers operations
   * in the order `executeOperation` is called, so unclaimed operations take
   * the known ids above the last claimed one, in order, skipping the engine's
   * operations that are not this client's (`foreign`).
   */
  let lastClaimed = 0;
  /**
   * Engine operations that are not this client's: those pending when it was
   * created (left by a previous process, recovered from the engine's durable
   * queue) and any whose name or arguments do not match the next operation
   * it sent. They are never matched to its own calls; the server confirms
   * them and their effects arrive through state patches (they are not
   * replayed as speculative operations). A recovered operation with the
   * same name and arguments as the next one sent cannot be told apart: it
   * settles that call, which has the same effect.
   */
  const foreign = new Set<number>();
  const sameArgs = (a: readonly unknown[] | undefined, b: readonly unknown[]): boolean => {
    if (a === undefined) return true;
    try {
      return JSON.stringify(a) === JSON.stringify(b);
    } catch {
      return true;
    }
  };
  /** Sent operations in send order; those before `unclaimedHead` have an id (or none is coming). */
  let sentOrder: Op[] = [];
  let unclaimedHead = 0;
  /** Skips the claimed head of `sentOrder`; true when every sent operation is claimed. */
  const skipClaimed = (): boolean => {
    while (unclaimedHead < sentOrder.length && sentOrder[unclaimedHead]!.operationId !== undefined) unclaimedHead++;
    if (unclaimedHead < sentOrder.length) return false;
    sentOrder = [];
    unclaimedHead = 0;
    return true;
  };
  const claimIds = (extra: ReadonlyArray<{ id: number; name?: string; clientId?: string; args?: readonly unknown[] }> = []) => {
    if (skipClaimed()) return;
    const known = new Map<number, { id: number; name?: string; clientId?: string; args?: readonly unknown[] }>();
    for (const o of engine.getPendingOperations()) if (o.id > lastClaimed && !foreign.has(o.id)) known.set(o.id, o);
    for (const o of extra) if (o.id > lastClaimed && !foreign.has(o.id)) known.set(o.id, o);
    const ids = [...known.values()].sort((a, b) => a.id - b.id);
    for (let i = 0; i < ids.length && unclaimedHead < sentOrder.length; i++) {
      const op = sentOrder[unclaimedHead]!;
      if (op.operationId !== undefined) {
        unclaimedHead++;
        i--;
        continue;
      }
      const found = ids[i]!;
      if ((found.name !== undefined && found.name !== op.name) || !sameArgs(found.args, op.args)) {
        // Not the operation this client sent next (a recovered one, or someone else's call): skipped for good.
        foreign.add(found.id);
        continue;
      }
      op.operationId = found.id;
      op.clientId = found.clientId;
      knownClientId ??= found.clientId;
      lastClaimed = found.id;
      unclaimedHead++;
    }
  };

  for (const o of engine.getPendingOperations()) foreign.add(o.id);

  /**
   * The layer-5 transaction's `persist`: hands the operation to the engine,
   * which stores it durably and retries its delivery. A refusal to queue it
   * (queue full, storage failure) is retried by the transaction; a bad
   * argument or a closed engine fails it at once (NonRetriableError).
   */
  const handOff = (op: Op): Promise<void> => {
    if (disposed || op.settled) {
      handed(op);
      return RESOLVED;
    }
    sentOrder.push(op);
    let sent: Promise<unknown>;
    try {
      sent = Promise.resolve(engine.executeOperation(op.name, op.args as unknown[]));
    } catch (error) {
      sent = Promise.reject(error);
    }
    handed(op);
    return sent.then(
      (result) => {
        if (op.operationId !== undefined || disposed) return;
        const id = typeof result === "number" ? result : (result as { id?: unknown } | undefined)?.id;
        if (typeof id === "number") {
          op.operationId = id;
          lastClaimed = Math.max(lastClaimed, id);
          skipClaimed();
        } else claimIds();
      },
      (error: unknown) => {
        // Not queued: it took no engine id, so it leaves the sent order (a retry sends it again).
        const at = sentOrder.indexOf(op, unclaimedHead);
        if (at >= 0) sentOrder.splice(at, 1);
        const code = (error as { code?: unknown } | null)?.code;
        if (disposed || code === "INVALID_ARGUMENT" || code === "CLOSED") {
          throw new NonRetriableError(`mutate.${op.name}: the engine refused the operation: ${(error as Error)?.message ?? String(error)}`, { cause: error });
        }
        throw error;
      },
    );
  };

  /** The layer-5 transaction's `awaitSync`: resolves once a server state includes the operation, rejects with the server's refusal. */
  const awaitSettled = (op: Op): Promise<void> => {
    const outcome = op.outcome;
    if (outcome === true) return RESOLVED;
    if (outcome !== undefined) return Promise.reject(outcome.error);
    return new Promise<void>((resolve, reject) => (op.sync = { resolve, reject }));
  };
  const settleSync = (op: Op, outcome: true | { error: unknown }) => {
    op.outcome = outcome;
    const waiting = op.sync;
    if (!waiting) return;
    op.sync = undefined;
    if (outcome === true) waiting.resolve();
    else waiting.reject(outcome.error);
  };

  // One layer-5 transaction per operation. The engine stores the operation durably (its own queue,
  // persisted and retried), so the transaction itself is not persisted: storing each operation twice
  // would double the write cost, and a transaction recovered after a reload would send it again.
  const records = new Map<string, Op>();
  const opOf = (transaction: Transaction): Op | undefined => {
    const key = (transaction.mutations[0]?.modified as { id?: unknown } | undefined)?.id;
    return typeof key === "string" ? records.get(key) : undefined;
  };
  const transactions = createCollection<OperationRecord>({
    sync: { id: options.collectionId ?? `kalphite-operations:${++clientCount}`, setup: () => Promise.resolve({ data: {} }) },
    persistence: false,
    // The engine queues while offline; the hand-off itself never waits for the network.
    online: ALWAYS_ONLINE,
    strategy: { type: "parallel" },
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    ...(options.timers === undefined ? {} : { timers: options.timers }),
    logger: { warn: (message, ...details) => reportError(details[0] ?? message), error: (message, ...details) => reportError(details[0] ?? message) },
    mutationFn: {
      persist: ({ transaction }) => {
        const op = opOf(transaction);
        return op ? handOff(op) : RESOLVED;
      },
      awaitSync: ({ transaction }) => {
        const op = opOf(transaction);
        return op ? awaitSettled(op) : RESOLVED;
      },
    },
  });

  // History is pruned every `maxSettled` settled transactions, not at each one (a prune scans them all).
  const prune = options.prune ?? { maxSettled: 100 };
  const pruneEvery = Math.max(1, prune.maxSettled ?? 100);
  let settledSincePrune = 0;

  /** A failed transaction whose operation is still pending (the hand-off ran out of retries) rolls it back. */
  const transactionSettled = (op: Op, transaction: Transaction) => {
    if (op.key !== undefined) records.delete(op.key);
    if (++settledSincePrune >= pruneEvery && !disposed) {
      settledSincePrune = 0;
      transactions.pruneHistory(prune);
    }
    if (transaction.state !== "failed" || op.settled || disposed) return;
    const failure = transaction.error?.error;
    const reason = failure instanceof NonRetriableError && failure.cause !== undefined ? failure.cause : (failure ?? new Error(transaction.error?.message));
    schedule(() => {
      if (!op.settled) return rebase({ rejected: new Map([[op, reason]]) });
    });
  };

  // Operations accepted in one synchronous stretch get their transactions in one microtask.
  let outbox: Op[] = [];
  let opCount = 0;
  const flushOutbox = () => {
    const batch = outbox;
    outbox = [];
    for (const op of batch) {
      if (op.settled || disposed) {
        handed(op);
        continue;
      }
      const key = String(++opCount);
      let transaction: Transaction;
      try {
        transaction = transactions.insert({ id: key, name: op.name, args: op.args as unknown[] });
      } catch (error) {
        // Arguments the transaction cannot hold (not JSON data): the operation is rolled back.
        handed(op);
        schedule(() => {
          if (!op.settled) return rebase({ rejected: new Map([[op, error]]) });
        });
        continue;
      }
      op.key = key;
      records.set(key, op);
      transactions.whenSettled(transaction).then(
        (settled) => transactionSettled(op, settled),
        () => undefined, // disposed
      );
    }
  };
  const enqueue = (op: Op) => {
    pending.push(op);
    waitingHandOff++;
    outbox.push(op);
    if (outbox.length === 1) queueMicrotask(flushOutbox);
  };

  const mutateOne = (name: string, args: unknown[]): Promise<void> => {
    if (disposed) return Promise.reject(new CoordinatorError(CoordinatorErrorCode.Disposed, `mutate.${name}: the optimistic client was disposed`));
    let copied: unknown[];
    try {
      // One deep, frozen copy: every run (and the engine) sees the arguments as they were passed.
      copied = allPrimitive(args) ? args : deepFreeze(structuredClone(args));
    } catch (cause) {
      return Promise.reject(new CoordinatorError(CoordinatorErrorCode.InvalidMutation, `mutate.${name}: arguments must be JSON data`, { cause }));
    }
    // A shared executor (no closure per call) hands out the promise's resolvers.
    const promise = new Promise<void>(captureResolvers);
    const op: Op = {
      name,
      args: copied,
      operationId: undefined,
      clientId: undefined,
      inverse: NO_PATCHES,
      undo: undefined,
      applied: false,
      confirmed: false,
      settled: false,
      handed: false,
      key: undefined,
      outcome: undefined,
      sync: undefined,
      resolve: capturedResolve!,
      reject: capturedReject!,
    };
    schedule(op);
    return promise;
  };

  /** A queued operation's first run: on the store when its mutator is synchronous, else on a slice. */
  const runMutation = (op: Op): void | Promise<void> => {
    if (runOnStore(op)) return;
    const slice = new EntitySlice(store);
    const finish = (outcome: Outcome) => {
      if (!outcome.ok) return op.reject(outcome.error);
      try {
        // Through the collections: the store records the patches and their inverse.
        const tx = store.transaction(() => {
          for (const { type, id, next } of slice.written(outcome.journal)) {
            const collection = store.getByType(type);
            if (next === undefined) collection.delete(id);
            else collection.upsert(id, next);
          }
        });
        accept(op, tx.inversePatches as Patch[]);
      } catch (error) {
        return op.reject(error);
      }
    };
    const outcome = runOn(slice, op);
    return isThenable(outcome) ? outcome.then(finish) : finish(outcome);
  };

  const accept = (op: Op, inverse: Patch[]) => {
    op.inverse = inverse;
    enqueue(op);
  };

  /**
   * The fast path: a synchronous mutator runs against the store with its
   * writes buffered, then they are applied: one write as it is (a store write
   * is its own batch), several inside `store.transaction` (all or nothing).
   * Returns false when the mutator turned out to be asynchronous: nothing was
   * written, and it runs again on a slice.
   */
  const runOnStore = (op: Op): boolean => {
    const tx = new StoreTx(store, knownClientId ?? "", 0);
    let value: unknown;
    try {
      value = mutators[op.name]!(tx, ...op.args);
    } catch (error) {
      tx.open = false;
      op.reject(error);
      return true;
    }
    tx.open = false;
    if (isThenable(value)) {
      // The abandoned run may go on after its first await: the closed tx stops it there.
      Promise.resolve(value).catch(() => undefined);
      return false;
    }
    const writes = tx.writes;
    try {
      if (writes.length <= 1) applyWrites(writes);
      else store.transaction(() => applyWrites(writes));
    } catch (error) {
      op.reject(error);
      return true;
    }
    op.undo = writes;
    enqueue(op);
    return true;
  };

  /** Writes the fast path's buffered writes to the store, noting what each replaced. */
  const applyWrites = (writes: StoreTx["writes"]) => {
    for (let i = 0; i < writes.length; i++) {
      const w = writes[i]!;
      w.prev = store.getById(w.type, w.id) as Entity | undefined;
      if (w.next !== undefined) store.getByType(w.type).upsert(w.id, w.next);
      else if (w.prev !== undefined) store.getByType(w.type).delete(w.id);
    }
  };

  /** `op`'s inverse patches (built from the fast path's writes on first use). */
  const inverseOf = (op: Op): Patch[] => {
    const undo = op.undo;
    if (undo) {
      op.undo = undefined;
      const inverse: Patch[] = [];
      for (let i = undo.length - 1; i >= 0; i--) {
        const { type, id, next, prev } = undo[i]!;
        const path = formatPointer([type, id]);
        if (prev === undefined) {
          if (next !== undefined) inverse.push({ op: "remove", path });
        } else inverse.push(next === undefined ? { op: "add", path, value: prev } : { op: "replace", path, value: prev });
      }
      op.inverse = inverse;
    }
    return op.inverse;
  };

  const mutate = {} as Record<string, (...args: unknown[]) => Promise<void>>;
  for (const name of Object.keys(mutators)) mutate[name] = (...args: unknown[]) => mutateOne(name, args);

  interface RebaseInput {
    readonly patch?: EnginePatch;
    readonly rejected?: Map<Op, unknown>;
    /** Operations the engine reported failed (their ids help claim). */
    readonly failed?: ReadonlyArray<{ id: number; name?: string; clientId?: string }>;
  }

  /**
   * Undo every pending effect, apply the server's state, drop settled and
   * rejected operations, re-run the rest in order, and write the difference
   * to the store in one batch (synchronously when every re-run is).
   */
  const rebase = (input: RebaseInput): void | Promise<void> => {
    const { patch, rejected } = input;
    claimIds([...(patch?.operations ?? []), ...(input.failed ?? [])]);
    const slice = new EntitySlice(store);
    const undo: Patch[] = [];
    for (let i = pending.length - 1; i >= 0; i--) undo.push(...inverseOf(pending[i]!));
    slice.loadPaths(undo);
    slice.apply(undo);

    if (patch) {
      if (patch.reset) {
        // A full state replaces every entity of the types it names; the engine lists as deletions what
        // it knew and the server no longer has. Types it does not name (local-only data) are left alone.
        const types = new Set<string>();
        for (const e of patch.entities ?? []) types.add(e.type);
        for (const d of patch.deleted ?? []) types.add(d.entityType);
        for (const type of types) slice.loadType(type);
        slice.clearTypes(types);
      }
      for (const d of patch.deleted ?? []) slice.set(d.entityType, d.entityId, undefined);
      for (const e of patch.entities ?? []) slice.set(e.type, e.id, e);
      if (patch.operations && patch.operations.length > 0) {
        const applied = new Map(patch.operations.map((o) => [o.id, o.clientId]));
        for (const op of pending) {
          if (op.operationId === undefined || !applied.has(op.operationId)) continue;
          const clientId = applied.get(op.operationId);
          if (clientId === undefined || op.clientId === undefined || op.clientId === clientId) op.applied = true;
        }
      }
    }
    const keep: Op[] = [];
    const gone: Op[] = [];
    for (const op of pending) {
      if (op.applied || (patch && op.confirmed) || rejected?.has(op)) gone.push(op);
      else keep.push(op);
    }

    const record = (op: Op, outcome: Outcome) => {
      // A re-run that throws has no effect now; the server decides its fate.
      op.undo = undefined;
      op.inverse = outcome.ok ? slice.effect(outcome.journal).inverse : [];
    };
    const replay = (index: number): void | Promise<void> => {
      for (let i = index; i < keep.length; i++) {
        const op = keep[i]!;
        const outcome = runOn(slice, op);
        if (isThenable(outcome)) {
          return outcome.then((o) => {
            record(op, o);
            return replay(i + 1);
          });
        }
        record(op, outcome);
      }
      commit();
    };

    const commit = () => {
      const changes = slice.changes();
      if (changes.length > 0) store.applyRemote(changes);
      pending = keep;
      for (const op of gone) {
        op.settled = true;
        if (rejected?.has(op)) {
          const reason = rejected.get(op);
          const error =
            reason instanceof Error
              ? reason
              : new CoordinatorError(CoordinatorErrorCode.Rejected, `mutate.${op.name}: the server rejected the operation: ${String(reason)}`, { cause: reason });
          op.reject(error);
          settleSync(op, { error });
          if (error instanceof CoordinatorError) events.emit("rejected", { name: op.name, args: op.args, operationId: op.operationId, error });
        } else {
          op.resolve();
          settleSync(op, true);
        }
      }
      events.emit("rebased", { replayed: keep.length, settled: gone.length });
    };

    return replay(0);
  };

  // ModernSyncEngine's on* return their unsubscribe; kept for dispose.
  const offs: unknown[] = [];
  offs.push(engine.onStatePatch((patch) => {
    if (!disposed) schedule(() => rebase({ patch }));
  }));
  offs.push(engine.onOperationConfirmed?.((operation) => {
    if (disposed) return;
    schedule(() => {
      claimIds([operation]);
      const op = pending.find((p) => p.operationId === operation.id && (operation.clientId === undefined || p.clientId === undefined || p.clientId === operation.clientId));
      if (!op || op.confirmed) return;
      op.confirmed = true;
      op.resolve();
    });
  }));
  offs.push(engine.onOperationFailed(({ operation, error }) => {
    if (disposed) return;
    schedule(() => {
      claimIds([operation]);
      const op = pending.find((p) => p.operationId === operation.id && (operation.clientId === undefined || p.clientId === undefined || p.clientId === operation.clientId));
      if (!op) return;
      return rebase({ rejected: new Map([[op, error]]), failed: [operation] });
    });
  }));

  return {
    mutate: mutate as OptimisticClient<TMutators>["mutate"],
    on: (event, listener) => events.on(event, listener),
    getPendingOperations: () => pending.map((op) => ({ name: op.name, args: structuredClone(op.args), operationId: op.operationId })),
    whenIdle: () => {
      if (!running && !pumping && tasks.length === 0 && waitingHandOff === 0) return Promise.resolve();
      if (!idle) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        idle = { promise, resolve };
      }
      return idle.promise;
    },
    transactions,
    dispose: () => {
      if (disposed) return;
      disposed = true;
      events.clear();
      transactions.dispose().catch(reportError);
      waitingHandOff = 0;
      checkIdle();
      for (const off of offs) if (typeof off === "function") off();
    },
  };
}
