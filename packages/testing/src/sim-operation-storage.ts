import type { OperationStorage, PendingOperation, StoredClientState } from "@kalphite/sync-ops";
import type { TimerGroup } from "./sim-clock";

interface ClientDisk {
  operations: Map<number, PendingOperation>;
  lastOperationId: number;
  values: Map<string, string>;
}

/** Options of `SimulatedClientDisk`. */
export interface SimulatedClientDiskOptions {
  /** ms a write takes to become durable. */
  latency: () => number;
  /** Keep `setValue` values (the engine's state version) across restarts. Off when the client's store is memory-only, as in the simulator. @default false */
  keepValues?: boolean;
}

/**
 * A client device's disk in a simulation. `open(timers)` gives the engine an
 * `OperationStorage` whose writes become durable `latency()` ms later, in
 * order; `crash()` loses the writes not durable yet, and the handle of the
 * crashed process stops writing.
 */
export class SimulatedClientDisk {
  readonly #disk: ClientDisk = { operations: new Map(), lastOperationId: 0, values: new Map() };
  #epoch = 0;
  /** Writes lost by crashes so far. */
  lostWrites = 0;
  #pending = 0;

  constructor(private readonly options: SimulatedClientDiskOptions) {}

  /** Durable pending operations (for reports). */
  get durableOperations(): number {
    return this.#disk.operations.size;
  }

  crash(): void {
    this.#epoch++;
    this.lostWrites += this.#pending;
    this.#pending = 0;
  }

  open(timers: TimerGroup): OperationStorage {
    const disk = this.#disk;
    const epoch = this.#epoch;
    const owner = this;
    let tail = 0;
    const write = (apply: () => void): Promise<void> =>
      new Promise<void>((resolve) => {
        if (epoch !== owner.#epoch || timers.dead) return; // a dead process writes nothing and never hears back
        owner.#pending++;
        // In order: a later write never becomes durable before an earlier one.
        const at = Math.max(tail, timers.now() + owner.options.latency());
        tail = at;
        timers.setTimeout(() => {
          if (epoch !== owner.#epoch) return;
          owner.#pending--;
          apply();
          resolve();
        }, at - timers.now());
      });
    return {
      async load(clientId: string): Promise<StoredClientState> {
        void clientId;
        return {
          operations: [...disk.operations.values()].sort((a, b) => a.id - b.id).map((op) => structuredClone(op)),
          lastOperationId: disk.lastOperationId,
          values: owner.options.keepValues ? Object.fromEntries(disk.values) : {},
        };
      },
      append(_clientId, operations) {
        const ops = operations.map((op) => structuredClone(op));
        return write(() => {
          for (const op of ops) {
            disk.operations.set(op.id, op);
            disk.lastOperationId = Math.max(disk.lastOperationId, op.id);
          }
        });
      },
      remove(_clientId, ids) {
        const list = [...ids];
        return write(() => {
          for (const id of list) disk.operations.delete(id);
        });
      },
      replace(_clientId, operations, lastOperationId) {
        const ops = operations.map((op) => structuredClone(op));
        return write(() => {
          disk.operations = new Map(ops.map((op) => [op.id, op]));
          disk.lastOperationId = lastOperationId;
        });
      },
      setValue(_clientId, k, value) {
        return write(() => {
          disk.values.set(k, value);
        });
      },
      async close() {},
    };
  }
}
