import type { Entity } from "@kalphite/store";
import type {
  DeletedEntity,
  StateQuery,
  StateSnapshot,
  StorageChangeEvent,
  StorageChanges,
  SyncStorage,
  SyncStorageTransaction,
} from "@kalphite/sync-ops";
import type { TimerGroup } from "./sim-clock";
import { TestingError, TestingErrorCode } from "./errors";

interface Row {
  readonly type: string;
  readonly id: string;
  readonly data: Entity | null;
  readonly version: number;
}

/** One operation a server mutator ran to completion inside a committed transaction. */
export interface AppliedOperation {
  readonly clientId: string;
  readonly operationId: number;
  readonly name: string;
  /** `JSON.stringify(args)` */
  readonly args: string;
  /** The state version that committed it. */
  readonly version: number;
}

/** What the disk of the simulated server holds: only committed transactions. */
interface Disk {
  version: number;
  minVersion: number;
  readonly entities: Map<string, Row>;
  readonly clients: Map<string, { last: number; version: number }>;
  readonly failures: Map<string, Map<number, string>>;
  readonly applied: AppliedOperation[];
}

const key = (type: string, id: string) => `${type.length}:${type}${id}`;
const copy = <T>(value: T): T => structuredClone(value);
const VERSION = /^(0|[1-9][0-9]{0,15})$/;

/**
 * The server's storage in a simulation: `SyncStorage` in memory with the SQL
 * backends' semantics (versions, tombstones, per-client last ids, refusals),
 * plus a disk that survives `crash()`. A commit becomes durable
 * `commitLatencyMs` after the transaction's callback resolves; a crash before
 * that loses it (and the caller's promise never resolves, as for a process
 * killed mid-commit). `open()` returns a new handle on the same disk: what a
 * restarted server process gets.
 */
export class SimulatedServerDisk {
  readonly #disk: Disk = { version: 0, minVersion: 0, entities: new Map(), clients: new Map(), failures: new Map(), applied: [] };
  #epoch = 0;
  /** The operations of the transaction being written (transactions are serialized). */
  #current: { epoch: number; applied: Omit<AppliedOperation, "version">[] } | undefined;

  constructor(private readonly latency: () => number) {}

  /** Every operation a server mutator applied in a durable transaction, in commit order. */
  get applied(): readonly AppliedOperation[] {
    return this.#disk.applied;
  }

  /** The durable state version. */
  get version(): number {
    return this.#disk.version;
  }

  /** The durable live entities, ordered by type and id. */
  entities(): Entity[] {
    return [...this.#disk.entities.values()]
      .filter((r) => r.data !== null)
      .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((r) => copy(r.data as Entity));
  }

  /** Last applied operation id per client (durable). */
  lastOperationIds(): Record<string, number> {
    return Object.fromEntries([...this.#disk.clients].map(([id, c]) => [id, c.last]));
  }

  /** Records an operation a mutator completed in the open transaction (called by the simulator's mutator wrapper). */
  noteApplied(entry: Omit<AppliedOperation, "version">): void {
    this.#current?.applied.push(entry);
  }

  /** Loses every transaction not yet durable; handles opened before stop working. */
  crash(): void {
    this.#epoch++;
    this.#current = undefined;
  }

  /** A storage handle for one server process, on `timers` (its commits wait on them). */
  open(timers: TimerGroup): SyncStorage {
    const disk = this.#disk;
    const epoch = this.#epoch;
    const owner = this;
    const listeners = new Set<(event: StorageChangeEvent) => void>();
    let lock: Promise<unknown> = Promise.resolve();
    let closed = false;
    const alive = () => {
      if (closed) throw new TestingError(TestingErrorCode.Crashed, "this simulated sync storage is closed");
      if (epoch !== owner.#epoch) throw new TestingError(TestingErrorCode.Crashed, "the simulated server storage crashed");
    };
    const sleep = (ms: number) => new Promise<void>((resolve) => timers.setTimeout(resolve, ms));

    const transaction = <T>(fn: (tx: SyncStorageTransaction) => Promise<T>): Promise<T> => {
      alive();
      const run = lock.then(async () => {
        alive();
        const baseVersion = disk.version;
        let staged: StorageChanges | undefined;
        const current = { epoch, applied: [] as Omit<AppliedOperation, "version">[] };
        owner.#current = current;
        const tx: SyncStorageTransaction = {
          baseVersion,
          async lastOperationIds(ids) {
            alive();
            const map = new Map<string, number>();
            for (const id of ids) {
              const c = disk.clients.get(id);
              if (c) map.set(id, c.last);
            }
            return map;
          },
          async failures(clientId, ids) {
            alive();
            const map = new Map<number, string>();
            const mine = disk.failures.get(clientId);
            for (const id of ids) {
              const error = mine?.get(id);
              if (error !== undefined) map.set(id, error);
            }
            return map;
          },
          async get(type, id) {
            alive();
            const row = disk.entities.get(key(type, id));
            return row?.data ? copy(row.data) : undefined;
          },
          async getByType(type) {
            alive();
            return [...disk.entities.values()]
              .filter((r) => r.type === type && r.data !== null)
              .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
              .map((r) => copy(r.data as Entity));
          },
          async applyChanges(changes) {
            alive();
            if (staged) throw new TestingError(TestingErrorCode.InvalidArgument, "applyChanges was already called in this transaction");
            staged = copy(changes);
            const empty = changes.writes.length === 0 && changes.clients.length === 0 && changes.failures.length === 0;
            return empty ? { stateVersion: baseVersion, changed: false } : { stateVersion: baseVersion + 1, changed: true };
          },
        };
        try {
          const result = await fn(tx);
          const changes = staged;
          if (!changes || (changes.writes.length === 0 && changes.clients.length === 0 && changes.failures.length === 0)) return result;
          // Durable only after the commit latency: a crash in between loses the transaction.
          await sleep(owner.latency());
          alive();
          const version = baseVersion + 1;
          for (const w of changes.writes) disk.entities.set(key(w.type, w.id), { type: w.type, id: w.id, data: w.entity, version });
          for (const c of changes.clients) disk.clients.set(c.clientId, { last: c.lastOperationId, version });
          for (const f of changes.failures) {
            let mine = disk.failures.get(f.clientId);
            if (!mine) disk.failures.set(f.clientId, (mine = new Map()));
            if (!mine.has(f.operationId)) mine.set(f.operationId, f.error);
          }
          const refused = new Set(changes.failures.map((f) => `${f.clientId}\u0000${f.operationId}`));
          for (const a of current.applied) {
            if (!refused.has(`${a.clientId}\u0000${a.operationId}`)) disk.applied.push({ ...a, version });
          }
          disk.version = version;
          const event: StorageChangeEvent = {
            stateVersion: version,
            affectedEntityTypes: [...new Set(changes.writes.map((w) => w.type))],
            clientIds: [...new Set([...changes.clients.map((c) => c.clientId), ...changes.failures.map((f) => f.clientId)])],
          };
          for (const listener of listeners) listener(event);
          return result;
        } finally {
          if (owner.#current === current) owner.#current = undefined;
        }
      });
      lock = run.catch(() => undefined);
      return run;
    };

    const readState = async (query: StateQuery): Promise<StateSnapshot> => {
      alive();
      const types = query.entityTypes && query.entityTypes.length > 0 ? new Set(query.entityTypes) : undefined;
      const since = query.sinceVersion;
      const parsed = since !== undefined && VERSION.test(since) ? Number(since) : undefined;
      const delta = parsed !== undefined && parsed >= disk.minVersion && parsed <= disk.version;
      const entities: Entity[] = [];
      const deleted: DeletedEntity[] = [];
      const lastOperationIds: Record<string, number> = {};
      const rows = [...disk.entities.values()].filter((r) => !types || types.has(r.type));
      if (delta) {
        rows.sort((a, b) => a.version - b.version || (a.type < b.type ? -1 : a.type > b.type ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        for (const r of rows) {
          if (r.version <= (parsed as number)) continue;
          if (r.data === null) deleted.push({ entityType: r.type, entityId: r.id });
          else entities.push(copy(r.data));
        }
      } else {
        rows.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        for (const r of rows) if (r.data !== null) entities.push(copy(r.data));
      }
      for (const [id, c] of disk.clients) if (!delta || c.version > (parsed as number)) lastOperationIds[id] = c.last;
      const failedOperations: { operationId: number; error: string }[] = [];
      const clientId = query.clientId;
      if (clientId !== undefined && clientId in lastOperationIds) {
        const from = query.confirmedOperationId ?? 0;
        const to = lastOperationIds[clientId] as number;
        for (const [operationId, error] of [...(disk.failures.get(clientId) ?? [])].sort((a, b) => a[0] - b[0])) {
          if (operationId > from && operationId <= to) failedOperations.push({ operationId, error });
        }
      }
      return { stateVersion: disk.version, reset: !delta, entities, deleted, lastOperationIds, failedOperations };
    };

    return {
      kind: "simulated",
      transaction,
      readState,
      onChange(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      async compact(beforeVersion) {
        alive();
        const upTo = Math.min(beforeVersion, disk.version);
        for (const [k, r] of disk.entities) if (r.data === null && r.version <= upTo) disk.entities.delete(k);
        disk.minVersion = Math.max(disk.minVersion, upTo);
      },
      async close() {
        closed = true;
        listeners.clear();
      },
    };
  }
}
