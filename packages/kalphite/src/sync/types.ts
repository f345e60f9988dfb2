import type { ClientMutator, MutatorArgs, OptimisticClient } from "@kalphite/coordinator";
import type { ModernSyncEngine } from "@kalphite/sync-ops";
import type { NetworkSyncEngine } from "@kalphite/sync-ws";
import type { KalphiteSyncMode } from "./options";

/** `kalphite.mutate`: one function per mutator, typed from it; each resolves once the server applied the operation. */
export type KalphiteMutate<TMutators> = { readonly [K in keyof TMutators]: (...args: MutatorArgs<TMutators[K]>) => Promise<void> };

/** What `kalphite.sync.status()` reports (the CLI's `sync status`). */
export interface KalphiteSyncStatus {
  readonly mode: KalphiteSyncMode;
  /** The server URL as configured. */
  readonly url: string;
  readonly room: string;
  /** This replica's id (stable per data directory). */
  readonly clientId: string;
  /** `"connected"` (the last request or the socket works), `"connecting"` (retrying), `"disconnected"` (offline on purpose, or closed). */
  readonly connection: "connected" | "connecting" | "disconnected";
  /** Operations (entity changes in entities mode) stored here and not yet confirmed by the server. */
  readonly pendingOperations: number;
  /** The server state version this replica has applied (`""` before the first pull; the server sequence in entities mode). */
  readonly stateVersion: string;
}

/** An operation the server refused (final): its effect was rolled back. */
export interface KalphiteRejection {
  /** The operation's name (`addTodo`, `upserttodo`, …). */
  readonly name: string;
  readonly args: readonly unknown[];
  /** The server's reason. */
  readonly error: string;
}

/** `kalphite.sync`: the network side of a synced instance. */
export interface KalphiteSync {
  readonly mode: KalphiteSyncMode;
  /** The engine: a `ModernSyncEngine` (operations) or a `NetworkSyncEngine` (entities). */
  readonly engine: ModernSyncEngine | NetworkSyncEngine;
  /** The optimistic client, in operations mode with mutators. */
  readonly optimistic: OptimisticClient<Record<string, ClientMutator>> | undefined;
  /** Connection, pending operations and state version, now. */
  status(): KalphiteSyncStatus;
  /** Goes online (resolves after the first attempt; failures are retried in the background). */
  connect(): Promise<void>;
  /** Goes offline; what is pending stays stored for the next `connect()`. */
  disconnect(): Promise<void>;
  /**
   * Resolves once everything written before the call was confirmed (or
   * refused) by the server and the store shows the server's answer; waits
   * through reconnects.
   */
  flush(): Promise<void>;
  /** Calls `listener` when the connection status changes. @returns unsubscribe */
  onStatus(listener: (connection: KalphiteSyncStatus["connection"]) => void): () => void;
  /** Calls `listener` for every operation the server refused (already rolled back). @returns unsubscribe */
  onRejected(listener: (rejection: KalphiteRejection) => void): () => void;
  /** Calls `listener` with sync errors (network failures while retrying, refused tokens, …). @returns unsubscribe */
  onError(listener: (error: Error) => void): () => void;
}
