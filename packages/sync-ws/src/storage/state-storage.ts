import type { ChangeMessage } from "../types";
import type { EntityVersion } from "../version";

/** What a replica keeps between runs, per room (`scope`). */
export interface PersistedSyncState {
  /** This replica's id, once generated. */
  readonly clientId?: string | undefined;
  /** The last server sequence seen in the room (0: none). */
  readonly cursor: number;
  /** The room epoch the cursor belongs to. */
  readonly epoch?: string | undefined;
  /** Every entity version the replica knows, with its clock. */
  readonly versions: readonly EntityVersion[];
  /** Unacknowledged changes, oldest first. */
  readonly queue: readonly ChangeMessage[];
}

/** One atomic write: everything in it is durable together, or none of it. */
export interface SyncStateWrite {
  clientId?: string | undefined;
  cursor?: number | undefined;
  epoch?: string | undefined;
  /** Versions to store (replacing the stored one of the same entity). */
  versions?: readonly EntityVersion[] | undefined;
  /** Changes to append to the queue. */
  enqueue?: readonly ChangeMessage[] | undefined;
  /** `messageId`s to remove from the queue (acknowledged, refused, or superseded before sending). */
  dequeue?: readonly string[] | undefined;
}

/**
 * Where a `NetworkSyncEngine` keeps its offline queue, its clocks, its
 * catch-up cursor and its `clientId`. `write` must be atomic; the engine
 * never runs two writes of one scope at once. Implementations:
 * `createMemorySyncStorage()` (the default) and `createPGliteSyncStorage(db)`.
 */
export interface SyncStateStorage {
  load(scope: string): Promise<PersistedSyncState>;
  write(scope: string, write: SyncStateWrite): Promise<void>;
}
