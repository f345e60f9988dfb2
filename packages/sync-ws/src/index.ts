/** @kalphite/sync-ws: entity sync over WebSocket with vector clocks, and its server. */
export { NetworkSyncEngine } from "./network-sync-engine";
export { SyncEmitter } from "./emitter";
export type { SyncListener } from "./emitter";
export { SYNC_DEFAULTS } from "./config";
export { SyncError, SyncErrorCode, WireErrorCode, CloseCode } from "./errors";
export { compareClocks, dominates, mergeClocks, incrementClock } from "./vector-clock";
export type { ClockOrder } from "./vector-clock";
export { joinVersions, localVersion, compareStamps } from "./version";
export type { EntityVersion, JoinResult, LocalWrite } from "./version";
export { createMemorySyncStorage } from "./storage/memory-storage";
export { createPGliteSyncStorage } from "./storage/pglite-storage";
export type { PGliteLike } from "./storage/pglite-storage";
export type { PersistedSyncState, SyncStateStorage, SyncStateWrite } from "./storage/state-storage";
export { PROTOCOL_VERSION, clientFrameSchema, serverFrameSchema } from "./protocol";
export type { ClientFrame, ServerFrame, ServerChange, AckOutcome } from "./protocol";
export type {
  AckEvent,
  ChangeMessage,
  ConflictEvent,
  ConflictResolution,
  ConflictStrategy,
  ConnectedEvent,
  ConnectionStatus,
  DisconnectedEvent,
  NetworkSyncEvents,
  ReconnectingEvent,
  RemoteChangeEvent,
  ShortChange,
  SyncConfig,
  SyncMessage,
  SyncTimers,
  SyncTimersOption,
  VectorClock,
  WebSocketConstructor,
  WebSocketLike,
  WriteStamp,
} from "./types";
export { createWebSocketSyncServer } from "./server/create-server";
export type { WebSocketSyncServer } from "./server/create-server";
export { SERVER_DEFAULTS } from "./server/server-options";
export type { AuthenticateRequest, WebSocketSyncServerOptions } from "./server/server-options";
export type { RateLimit } from "./server/rate-limit";
export { createMemoryServerStorage } from "./server/server-storage";
export type { RoomCommit, RoomSnapshot, StoredChange, SyncServerStorage } from "./server/server-storage";
export { createPGliteServerStorage } from "./server/pglite-server-storage";
export { bindStore } from "./bind-store";
export type { BindableStore } from "./bind-store";
