import { messageOf } from "../errors";
import type { StorageChangeEvent, SyncStorage, SyncStorageTransaction, RecordedFailure } from "../storage/types";
import type { OperationConfirmation, OperationGap, PendingOperation } from "../types";
import type { ServerSchema } from "./entity-check";
import { OperationScope, StorageFailure, type Mutator, type WriteSet } from "./mutator-transaction";

/** What one push got. */
export interface PushOutcome {
  confirmations: OperationConfirmation[];
  gaps: OperationGap[];
}

/** After a group committed with a new version. */
export interface CommittedPushes extends StorageChangeEvent {
  readonly confirmations: readonly OperationConfirmation[];
}

/** Options of `PushProcessor`. */
export interface PushProcessorOptions {
  storage: SyncStorage;
  mutators: Readonly<Record<string, Mutator>>;
  schema: ServerSchema | undefined;
  /** Serve `upsert<Type>` / `delete<Type>` when no mutator has that name. */
  builtinOperations: boolean;
  /** Operations one SQL transaction takes at most when pushes are grouped. */
  maxGroupOperations: number;
  now: () => number;
  onCommitted: (event: CommittedPushes) => void;
}

interface Queued {
  operations: readonly PendingOperation[];
  resolve: (outcome: PushOutcome) => void;
  reject: (error: unknown) => void;
}

/** The built-in legacy operations: `upsert<Type>(id, entity)` and `delete<Type>(id)`. */
function builtin(name: string): Mutator | undefined {
  const match = /^(upsert|delete)(.+)$/.exec(name);
  if (!match) return undefined;
  const type = match[2] as string;
  if (match[1] === "upsert") {
    return async (tx, id: unknown, entity: unknown) => {
      if (typeof id !== "string") throw new Error(`${name}(id, entity): id must be a string`);
      await tx.upsert(type, id, entity as Record<string, unknown>);
    };
  }
  return async (tx, id: unknown) => {
    if (typeof id !== "string") throw new Error(`${name}(id): id must be a string`);
    await tx.delete(type, id);
  };
}

/**
 * Applies pushes exactly once, in each client's id order. Pushes that arrive
 * while a transaction runs wait and are then applied together in one SQL
 * transaction; each operation runs in its own write scope over the group's
 * (the role of a savepoint: a throwing mutator's writes are dropped, the
 * others stay). The clients' last operation ids are written in the same
 * transaction as the effects.
 */
export class PushProcessor {
  readonly #options: PushProcessorOptions;
  readonly #queue: Queued[] = [];
  #running: Promise<void> | undefined;

  constructor(options: PushProcessorOptions) {
    this.#options = options;
  }

  /** Applies `operations` (already shape-checked); rejects with a `StorageFailure` when the storage failed. */
  push(operations: readonly PendingOperation[]): Promise<PushOutcome> {
    return new Promise<PushOutcome>((resolve, reject) => {
      this.#queue.push({ operations, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#running) return;
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
      // A push queued after the drain's last check and before this callback must not be stranded.
      if (this.#queue.length > 0) this.#schedule();
    });
  }

  /** Resolves when every queued push has been answered. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const group: Queued[] = [];
      let size = 0;
      while (this.#queue.length > 0) {
        const next = this.#queue[0] as Queued;
        if (group.length > 0 && size + next.operations.length > this.#options.maxGroupOperations) break;
        group.push(next);
        size += next.operations.length;
        this.#queue.shift();
      }
      try {
        const outcomes = await this.#apply(group.map((q) => q.operations));
        group.forEach((q, i) => q.resolve(outcomes[i] as PushOutcome));
      } catch (error) {
        if (group.length === 1) {
          (group[0] as Queued).reject(error);
          continue;
        }
        // One push may have caused it (a value the database refuses): apply each alone.
        for (const q of group) {
          try {
            const [outcome] = await this.#apply([q.operations]);
            q.resolve(outcome as PushOutcome);
          } catch (single) {
            q.reject(single);
          }
        }
      }
    }
  }

  #mutator(name: string): Mutator | undefined {
    const own = Object.prototype.hasOwnProperty.call(this.#options.mutators, name) ? this.#options.mutators[name] : undefined;
    if (own) return own;
    return this.#options.builtinOperations ? builtin(name) : undefined;
  }

  async #apply(pushes: readonly (readonly PendingOperation[])[]): Promise<PushOutcome[]> {
    const { storage, now } = this.#options;
    let committed: CommittedPushes | undefined;
    const outcomes = await storage.transaction(async (tx) => {
      const clientIds = [...new Set(pushes.flatMap((ops) => ops.map((op) => op.clientId)))];
      const last = await tx.lastOperationIds(clientIds);
      const group: WriteSet = new Map();
      const failures: RecordedFailure[] = [];
      const failed = new Map<string, Map<number, string>>();
      const advanced = new Map<string, number>();
      const results: PushOutcome[] = [];
      for (const operations of pushes) {
        const recorded = await this.#recordedFailures(tx, operations, last);
        const confirmations: OperationConfirmation[] = [];
        const gaps: OperationGap[] = [];
        const stopped = new Set<string>();
        for (const op of operations) {
          if (stopped.has(op.clientId)) continue;
          const expected = (last.get(op.clientId) ?? 0) + 1;
          if (op.id > expected) {
            stopped.add(op.clientId);
            gaps.push({ clientId: op.clientId, expectedOperationId: expected, receivedOperationId: op.id });
            continue;
          }
          if (op.id < expected) {
            const error = failed.get(op.clientId)?.get(op.id) ?? recorded.get(op.clientId)?.get(op.id);
            confirmations.push(confirmation(op, error, now()));
            continue;
          }
          const error = await this.#run(tx, group, op);
          if (error !== undefined) {
            failures.push({ clientId: op.clientId, operationId: op.id, error });
            let map = failed.get(op.clientId);
            if (!map) failed.set(op.clientId, (map = new Map()));
            map.set(op.id, error);
          }
          last.set(op.clientId, op.id);
          advanced.set(op.clientId, op.id);
          confirmations.push(confirmation(op, error, now()));
        }
        results.push({ confirmations, gaps });
      }
      const { changed, stateVersion } = await tx.applyChanges({
        writes: [...group.values()],
        clients: [...advanced].map(([clientId, lastOperationId]) => ({ clientId, lastOperationId })),
        failures,
      });
      if (changed) {
        committed = {
          stateVersion,
          affectedEntityTypes: [...new Set([...group.values()].map((w) => w.type))],
          clientIds: [...advanced.keys()],
          confirmations: results.flatMap((r) => r.confirmations),
        };
      }
      return results;
    });
    if (committed) {
      try {
        this.#options.onCommitted(committed);
      } catch {
        // Notifying is best effort: the push is committed and its answer stands.
      }
    }
    return outcomes;
  }

  /** The recorded refusals among the push's duplicates (ids at or below the last applied). */
  async #recordedFailures(
    tx: SyncStorageTransaction,
    operations: readonly PendingOperation[],
    last: ReadonlyMap<string, number>,
  ): Promise<Map<string, Map<number, string>>> {
    const duplicates = new Map<string, number[]>();
    for (const op of operations) {
      if (op.id <= (last.get(op.clientId) ?? 0)) {
        const ids = duplicates.get(op.clientId) ?? [];
        ids.push(op.id);
        duplicates.set(op.clientId, ids);
      }
    }
    const out = new Map<string, Map<number, string>>();
    for (const [clientId, ids] of duplicates) out.set(clientId, await tx.failures(clientId, ids));
    return out;
  }

  /** Runs one operation; returns its refusal message, or `undefined` when it succeeded (its writes joined the group's). */
  async #run(tx: SyncStorageTransaction, group: WriteSet, op: PendingOperation): Promise<string | undefined> {
    const mutator = this.#mutator(op.name);
    if (!mutator) return `Unknown operation ${JSON.stringify(op.name)}`;
    const scope = new OperationScope(group, tx, this.#options.schema);
    try {
      await mutator(scope.transaction(op.clientId, op.id), ...op.args);
      await scope.finish();
    } catch (error) {
      if (error instanceof StorageFailure) throw error;
      await scope.abandon();
      return messageOf(error) || "the mutator threw";
    }
    for (const [key, write] of scope.writes) group.set(key, write);
    return undefined;
  }
}

function confirmation(op: PendingOperation, error: string | undefined, serverTimestamp: number): OperationConfirmation {
  return error === undefined
    ? { operationId: op.id, clientId: op.clientId, success: true, serverTimestamp }
    : { operationId: op.id, clientId: op.clientId, success: false, error, serverTimestamp };
}
