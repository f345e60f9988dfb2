import type { BaseEntity, EntityId } from "@kalphite/store";
import { FlushError, FlushErrorCode } from "./errors";
import type { FlushBatchContext, FlushChange, FlushTarget } from "./types";

/** The key of `(entityType, entityId)` in `MemoryFlushTarget.state`: the two joined by a NUL character. */
export function flushKey(entityType: string, entityId: EntityId): string {
  return `${entityType}\u0000${entityId}`;
}

/** Decides whether a call of the target fails: return an error (or `true`) to reject the call (nothing of it is applied). */
export type FailurePolicy = (changes: readonly FlushChange[], call: number, context: FlushBatchContext) => unknown;

/** Options of `createMemoryFlushTarget`. */
export interface MemoryFlushTargetOptions {
  /**
   * Keep a `structuredClone` of each entity instead of the entity itself, so
   * later mutation of an unfrozen entity does not reach "durable" state.
   * @default false (store entities are frozen, so sharing them is safe and fast)
   */
  clone?: boolean | undefined;
}

/**
 * An in-memory `FlushTarget`: durable state is a `Map`. Used by tests, the
 * benchmarks and as the reference implementation of the `FlushTarget`
 * contract: a call is checked whole first and applied whole (all or
 * nothing: its changes and its `context.meta` together), in order;
 * re-applying a call is harmless; deleting an absent entity is not an error.
 */
export interface MemoryFlushTarget {
  /** The function to pass as `flushTarget`. */
  readonly target: FlushTarget;
  /** The durable state: entity by `flushKey(entityType, entityId)`, in first-write order. Live; do not mutate. */
  readonly state: ReadonlyMap<string, BaseEntity>;
  /** The durable metadata: the `context.meta` keys of every applied call, later calls winning (a key given as `undefined` is removed). Live; do not mutate. */
  readonly meta: ReadonlyMap<string, unknown>;
  /** The durable value of metadata `key` (`undefined` when never written). */
  getMeta(key: string): unknown;
  /** The ids of the store batches applied so far (`context.batchIds` of each applied call), in order. */
  readonly batchIds: readonly string[];
  /** The stored entity `(entityType, entityId)`. */
  get(entityType: string, entityId: EntityId): BaseEntity | undefined;
  /** The stored entities, all or of one type. */
  entities(entityType?: string): BaseEntity[];
  /** Calls of `target` so far. */
  readonly calls: number;
  /** Batches applied so far. */
  readonly applied: number;
  /** Batches rejected so far: injected failures and invalid batches. */
  readonly rejected: number;
  /** Changes applied so far. */
  readonly changes: number;
  /** Makes the next `count` calls reject with `error` without applying anything. @default count 1, error `new Error("injected failure")` */
  failNext(count?: number, error?: unknown): void;
  /** Consults `policy` on every call (after `failNext`); `undefined` removes it. */
  failWhen(policy: FailurePolicy | undefined): void;
  /** Forgets the state, the metadata, the batch ids, the counters and the injected failures. */
  reset(): void;
}

function checkChange(change: unknown, index: number): asserts change is FlushChange {
  const c = change as Partial<FlushChange> | null;
  const problem =
    typeof c !== "object" || c === null ? "is not an object"
    : c.operation !== "upsert" && c.operation !== "delete" ? `has operation ${JSON.stringify(c.operation)}`
    : typeof c.entityType !== "string" || c.entityType === "" || typeof c.entityId !== "string" || c.entityId === "" ? "needs a non-empty entityType and entityId"
    : c.operation === "upsert" && (typeof c.entity !== "object" || c.entity === null || c.entity.id !== c.entityId || c.entity.type !== c.entityType)
      ? "is an upsert whose entity is missing or has another id/type"
    : undefined;
  if (problem !== undefined) throw new FlushError(FlushErrorCode.InvalidArgument, `memory flush target: change ${index} ${problem}; nothing was applied`);
}

const NO_CONTEXT: FlushBatchContext = Object.freeze({ batchIds: Object.freeze([]), meta: Object.freeze({}) });

/** A call without a context (an older caller) carries no batch ids and no metadata. */
function checkContext(context: unknown): FlushBatchContext {
  if (context === undefined) return NO_CONTEXT;
  const c = context as Partial<FlushBatchContext> | null;
  if (typeof c !== "object" || c === null || !Array.isArray(c.batchIds) || !c.batchIds.every((id) => typeof id === "string")
    || typeof c.meta !== "object" || c.meta === null || Array.isArray(c.meta)) {
    throw new FlushError(FlushErrorCode.InvalidArgument, "memory flush target: context must be { batchIds: string[], meta: object }; nothing was applied");
  }
  return c as FlushBatchContext;
}

/**
 * Creates an in-memory `FlushTarget` with readable state and failure injection.
 *
 * @example
 * const memory = createMemoryFlushTarget();
 * const engine = new MemoryFlushEngine({ flushTarget: memory.target });
 * memory.failNext(2); // the next two batches reject, then the engine's retries succeed
 * await engine.flush();
 * memory.get("todo", "t1");
 */
export function createMemoryFlushTarget(options: MemoryFlushTargetOptions = {}): MemoryFlushTarget {
  const clone = options.clone ?? false;
  const state = new Map<string, BaseEntity>();
  const meta = new Map<string, unknown>();
  const batchIds: string[] = [];
  let calls = 0;
  let applied = 0;
  let rejected = 0;
  let changesApplied = 0;
  let failures: unknown[] = [];
  let policy: FailurePolicy | undefined;

  const target: FlushTarget = (changes, rawContext) => {
    calls++;
    let context: FlushBatchContext;
    try {
      if (!Array.isArray(changes)) throw new FlushError(FlushErrorCode.InvalidArgument, "memory flush target: changes must be an array");
      context = checkContext(rawContext);
      if (failures.length > 0) throw failures.shift();
      const verdict = policy?.(changes, calls, context);
      if (verdict !== undefined && verdict !== false && verdict !== null) {
        throw verdict === true ? new Error(`injected failure (call ${calls})`) : verdict;
      }
      changes.forEach(checkChange);
    } catch (error) {
      rejected++;
      return Promise.reject(error);
    }
    for (const change of changes) {
      const key = flushKey(change.entityType, change.entityId);
      if (change.operation === "delete") state.delete(key);
      else state.set(key, clone ? structuredClone(change.entity!) : change.entity!);
    }
    for (const [key, value] of Object.entries(context.meta)) {
      if (value === undefined) meta.delete(key); // JSON has no undefined: it removes the key
      else meta.set(key, clone ? structuredClone(value) : value);
    }
    batchIds.push(...context.batchIds);
    applied++;
    changesApplied += changes.length;
    return Promise.resolve();
  };

  return {
    target,
    state,
    meta,
    getMeta: (key) => meta.get(key),
    batchIds,
    get: (entityType, entityId) => state.get(flushKey(entityType, entityId)),
    entities(entityType) {
      const all = [...state.values()];
      return entityType === undefined ? all : all.filter((entity) => entity.type === entityType);
    },
    get calls() {
      return calls;
    },
    get applied() {
      return applied;
    },
    get rejected() {
      return rejected;
    },
    get changes() {
      return changesApplied;
    },
    failNext(count = 1, error: unknown = new Error("injected failure")) {
      if (!Number.isInteger(count) || count < 0) throw new FlushError(FlushErrorCode.InvalidArgument, `failNext(count): count must be an integer ≥ 0, got ${count}`);
      for (let i = 0; i < count; i++) failures.push(error);
    },
    failWhen(next) {
      if (next !== undefined && typeof next !== "function") throw new FlushError(FlushErrorCode.InvalidArgument, "failWhen(policy): policy must be a function or undefined");
      policy = next;
    },
    reset() {
      state.clear();
      meta.clear();
      batchIds.length = 0;
      calls = applied = rejected = changesApplied = 0;
      failures = [];
      policy = undefined;
    },
  };
}
