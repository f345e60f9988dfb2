import type { PendingOperation } from "../types";

/** What `OperationStorage.load` returns for one client. */
export interface StoredClientState {
  /** Unconfirmed operations, in id order. */
  readonly operations: PendingOperation[];
  /** The highest operation id ever stored for the client (0 when none): ids continue after it. */
  readonly lastOperationId: number;
  /** Small values such as the applied state version, by key. */
  readonly values: Record<string, string>;
}

/**
 * Where `ModernSyncEngine` keeps its pending operations and sync cursor, per
 * client id. An operation is in storage before `executeOperation` resolves
 * and leaves it once the server confirmed or refused it, so a restarted
 * client pushes again what the server may not have.
 */
export interface OperationStorage {
  load(clientId: string): Promise<StoredClientState>;
  /** Stores operations (and raises the client's last operation id to the highest of them). */
  append(clientId: string, operations: readonly PendingOperation[]): Promise<void>;
  /** Forgets operations the server has answered for. */
  remove(clientId: string, operationIds: readonly number[]): Promise<void>;
  /** Replaces the client's pending operations (after they were renumbered) and its last operation id. */
  replace(clientId: string, operations: readonly PendingOperation[], lastOperationId: number): Promise<void>;
  setValue(clientId: string, key: string, value: string): Promise<void>;
  close(): Promise<void>;
}

interface MemoryClient {
  operations: Map<number, PendingOperation>;
  lastOperationId: number;
  values: Map<string, string>;
}

/**
 * An `OperationStorage` in memory: survives an engine restart within the
 * process (share the object), not a process restart. The default.
 */
export function createMemoryOperationStorage(): OperationStorage {
  const clients = new Map<string, MemoryClient>();
  const of = (clientId: string): MemoryClient => {
    let client = clients.get(clientId);
    if (!client) clients.set(clientId, (client = { operations: new Map(), lastOperationId: 0, values: new Map() }));
    return client;
  };
  const clone = (op: PendingOperation): PendingOperation => structuredClone(op);
  return {
    async load(clientId) {
      const client = of(clientId);
      return {
        operations: [...client.operations.values()].sort((a, b) => a.id - b.id).map(clone),
        lastOperationId: client.lastOperationId,
        values: Object.fromEntries(client.values),
      };
    },
    async append(clientId, operations) {
      const client = of(clientId);
      for (const op of operations) {
        client.operations.set(op.id, clone(op));
        client.lastOperationId = Math.max(client.lastOperationId, op.id);
      }
    },
    async remove(clientId, operationIds) {
      const client = of(clientId);
      for (const id of operationIds) client.operations.delete(id);
    },
    async replace(clientId, operations, lastOperationId) {
      const client = of(clientId);
      client.operations = new Map(operations.map((op) => [op.id, clone(op)]));
      client.lastOperationId = lastOperationId;
    },
    async setValue(clientId, key, value) {
      of(clientId).values.set(key, value);
    },
    async close() {
      clients.clear();
    },
  };
}
