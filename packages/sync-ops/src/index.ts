/** @kalphite/sync-ops: named operations over HTTP, state by version, notifications, and an exactly-once server. */
export { SyncOpsError, SyncOpsErrorCode } from "./errors";
export type {
  ClientConnectedNotification,
  ClientDisconnectedNotification,
  ConfirmedOperation,
  DeletedEntity,
  EntityOf,
  FailedOperation,
  HttpClient,
  ModernSyncConfig,
  NotificationMessage,
  OperationConfirmation,
  OperationConfirmedNotification,
  OperationGap,
  PendingOperation,
  PushResponse,
  RequestOptions,
  Result,
  ServerSyncContract,
  StateChangedNotification,
  StatePatch,
  StateSyncRequest,
  StateSyncResponse,
  SyncValidator,
  ValidatedEntity,
  ValidatedOperation,
} from "./types";
export { createOperationSyncServer } from "./server/operation-sync-server";
export type { OperationSyncPaths, OperationSyncServer, OperationSyncServerOptions } from "./server/operation-sync-server";
export type { Mutator, MutatorTransaction } from "./server/mutator-transaction";
export type { ServerSchema } from "./server/entity-check";
export { createSyncValidator } from "./server/sync-validator";
export type { SyncValidatorOptions } from "./server/sync-validator";
export { createPGliteSyncStorage } from "./storage/pglite-storage";
export type { PGliteSyncStorageOptions } from "./storage/pglite-storage";
export { createPostgresSyncStorage } from "./storage/postgres-storage";
export type { PostgresSyncStorageOptions } from "./storage/postgres-storage";
export type {
  ClientAdvance,
  EntityWrite,
  RecordedFailure,
  StateQuery,
  StateSnapshot,
  StorageChangeEvent,
  StorageChanges,
  SyncStorage,
  SyncStorageTransaction,
} from "./storage/types";
export { ModernSyncEngine } from "./client/modern-sync-engine";
export type { ModernSyncEvents, OperationFailedEvent, PresenceEvent } from "./client/modern-sync-engine";
export { MODERN_SYNC_DEFAULTS } from "./client/config";
export type { ModernSyncEngineConfig } from "./client/config";
export { createFetchHttpClient, HttpRequestError } from "./client/fetch-http-client";
export type { FetchHttpClientOptions } from "./client/fetch-http-client";
export { createMemoryOperationStorage } from "./client/operation-storage";
export type { OperationStorage, StoredClientState } from "./client/operation-storage";
export { createPGliteOperationStorage } from "./client/pglite-operation-storage";
export type { PGliteOperationStorageOptions } from "./client/pglite-operation-storage";
export type { WebSocketConstructor, WebSocketLike } from "./client/notification-channel";
