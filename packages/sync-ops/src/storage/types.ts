import type { Entity } from "@kalphite/store";
import type { DeletedEntity, FailedOperation } from "../types";

/** One entity write of a push: the new entity, or `null` for a deletion. */
export interface EntityWrite {
  readonly type: string;
  readonly id: string;
  readonly entity: Entity | null;
}

/** A client's new last applied operation id. */
export interface ClientAdvance {
  readonly clientId: string;
  readonly lastOperationId: number;
}

/** A refused operation, recorded so a duplicate push gets the same answer. */
export interface RecordedFailure {
  readonly clientId: string;
  readonly operationId: number;
  readonly error: string;
}

/** Everything one push transaction changes, written together. */
export interface StorageChanges {
  readonly writes: readonly EntityWrite[];
  readonly clients: readonly ClientAdvance[];
  readonly failures: readonly RecordedFailure[];
}

/**
 * One write transaction of the server's storage. It holds the state-version
 * lock from its start (so pushes, on one server or many sharing a database,
 * are serialized and versions are committed in order) until it ends. Nothing
 * is visible to readers before the transaction's callback resolves.
 */
export interface SyncStorageTransaction {
  /** The state version when the transaction started (0 for an empty database). */
  readonly baseVersion: number;
  /** The last applied operation id of each given client; clients never seen are absent (read as 0). */
  lastOperationIds(clientIds: readonly string[]): Promise<Map<string, number>>;
  /** The recorded refusals among `operationIds` of `clientId` (operation id → message). */
  failures(clientId: string, operationIds: readonly number[]): Promise<Map<number, string>>;
  /** The entity `(type, id)`, or `undefined` (also when deleted). */
  get(type: string, id: string): Promise<Entity | undefined>;
  /** Every live entity of `type`, ordered by id. */
  getByType(type: string): Promise<Entity[]>;
  /**
   * Writes the push's effects, the clients' new last operation ids and the
   * refusals, all stamped with the next state version, in this transaction.
   * Call at most once. When `changes` is empty nothing is written and the
   * version stays.
   * @returns the state version after the transaction.
   */
  applyChanges(changes: StorageChanges): Promise<{ stateVersion: number; changed: boolean }>;
}

/** What `readState` is asked for. */
export interface StateQuery {
  /** The client's version: a delta since it is served when possible, the full state otherwise. */
  readonly sinceVersion?: string | undefined;
  /** Only entities and deletions of these types. */
  readonly entityTypes?: readonly string[] | undefined;
  /** The pulling client: when its `lastOperationIds` entry is in the answer, its refusals after `confirmedOperationId` come too. */
  readonly clientId?: string | undefined;
  readonly confirmedOperationId?: number | undefined;
}

/**
 * A consistent read of the state (one snapshot). Identical concurrent reads
 * share one query; `lastOperationIds` holds the clients that moved since the
 * version asked (all of them in a full state).
 */
export interface StateSnapshot {
  readonly stateVersion: number;
  /** `true` when this is the full state (no version asked, or a delta could not be served). */
  readonly reset: boolean;
  readonly entities: Entity[];
  readonly deleted: DeletedEntity[];
  readonly lastOperationIds: Record<string, number>;
  readonly failedOperations: FailedOperation[];
}

/** A committed change, as heard by `onChange` listeners. */
export interface StorageChangeEvent {
  readonly stateVersion: number;
  readonly affectedEntityTypes: readonly string[];
  /** Clients whose operations made the change. */
  readonly clientIds: readonly string[];
}

/**
 * The server's storage: entities with versions and tombstones, per-client last
 * operation ids and refusals. Implemented over SQL for PGlite and PostgreSQL;
 * one contract suite (`runSyncStorageContract`) checks every implementation.
 */
export interface SyncStorage {
  /** Which backend, for messages: `"pglite"`, `"postgres"`. */
  readonly kind: string;
  /** Runs `fn` in one write transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SyncStorageTransaction) => Promise<T>): Promise<T>;
  /** Reads the state (or a delta of it) in one snapshot. */
  readState(query: StateQuery): Promise<StateSnapshot>;
  /**
   * Calls `listener` after every committed change with a new version: this
   * storage's own, and (PostgreSQL, through LISTEN/NOTIFY) those of other
   * server instances on the same database. A version is announced once.
   * @returns unsubscribe
   */
  onChange(listener: (event: StorageChangeEvent) => void): () => void;
  /**
   * Forgets tombstones at or below `beforeVersion`; a client asking for a
   * delta from an older version then gets the full state (`reset: true`).
   */
  compact(beforeVersion: number): Promise<void>;
  /** Closes connections; later calls reject with `CLOSED`. */
  close(): Promise<void>;
}
