import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { Entity } from "@kalphite/store";

/**
 * The entity type a schema describes: the schema's output when `TSchema` is a
 * Standard Schema producing entities, `Entity` otherwise.
 */
export type EntityOf<TSchema> = TSchema extends StandardSchemaV1<unknown, infer TOut>
  ? TOut extends Entity
    ? TOut
    : Entity
  : Entity;

/** Configuration of `ModernSyncEngine`. */
export interface ModernSyncConfig {
  /** Server origin, e.g. `http://127.0.0.1:8080`. Endpoints are resolved against it. */
  baseUrl: string;
  /** @default "/sync/operations" */
  operationsEndpoint?: string;
  /** @default "/sync/state" */
  stateEndpoint?: string;
  /**
   * WebSocket notification URL, e.g. `ws://127.0.0.1:8080/sync/notify`. When
   * absent, no notification connection is opened (see `notificationTransport`
   * for SSE).
   */
  notificationUrl?: string;
  /** Unique, stable id of this client (one per device/installation). Operation ids are sequential per client. */
  clientId: string;
  /** The user this client acts for. */
  userId: string;
  /** Sent as `Authorization: Bearer <authToken>` on every request and on the notification connection. */
  authToken?: string;
  /** Operations per push request, at most. @default 10 */
  batchSize?: number;
  /** Key under which the applied state version is kept in the engine's storage. @default "stateVersion" */
  stateVersionKey?: string;
  /** Unconfirmed operations the engine holds at most; past it `executeOperation` rejects (`QUEUE_FULL`). @default 1000 */
  offlineQueueLimit?: number;
}

/** One named operation, as queued by a client and pushed to `POST /sync/operations`. */
export interface PendingOperation {
  /** Operation (mutator) name: `addTodo`, `upserttodo`, … */
  name: string;
  /** Its arguments, JSON data. */
  args: any[];
  /** Sequential per client, starting at 1. */
  id: number;
  /** The client that created it. */
  clientId: string;
  /** When it was created, ms since the epoch (client clock). */
  timestamp: number;
}

/** The server's verdict on one operation. */
export interface OperationConfirmation {
  /** Matches `PendingOperation.id`. */
  operationId: number;
  /** The client that sent the operation. */
  clientId: string;
  /** `false` when the operation was refused (unknown name, invalid entity, the mutator threw): final. */
  success: boolean;
  /** The server's message when `success` is false. */
  error?: string;
  /** When the server processed it, ms since the epoch (server clock). */
  serverTimestamp: number;
}

/** Body of `POST /sync/state`. */
export interface StateSyncRequest {
  /** The version the client has applied; absent (or `""`) for everything. */
  stateVersion?: string;
  /** Only entities (and deletions) of these types. */
  entityTypes?: string[];
  /** Informational: the client's last sync time. The server syncs by version, not by time. */
  lastSyncTimestamp?: number;
  /**
   * The pulling client. When given, `failedOperations` lists its refused
   * operations with an id above `confirmedOperationId` (up to its entry in
   * `lastOperationIds`, which is present whenever it moved since
   * `stateVersion`, and always in a full state).
   */
  clientId?: string;
  /** With `clientId`: the highest operation id the client already knows the outcome of. @default 0 */
  confirmedOperationId?: number;
}

/** A deletion, with its type (identity is `(type, id)` everywhere). */
export interface DeletedEntity {
  entityType: string;
  entityId: string;
}

/** An operation refused by the server, as reported to the client that sent it. */
export interface FailedOperation {
  operationId: number;
  error: string;
}

/** Answer of `POST /sync/state`. */
export interface StateSyncResponse<TSchema = unknown> {
  /** The version this answer brings the client to. Versions only move forward. */
  stateVersion: string;
  /** Entities changed or added since the requested version (all of them when `reset`). */
  entities: EntityOf<TSchema>[];
  /** Ids of the deleted entities (same order as `deleted`). */
  deletedEntityIds?: string[];
  /** The deletions, with their types. */
  deleted?: DeletedEntity[];
  /** Per client, the last operation id the server applied (changed since the version, or all when `reset`). */
  lastOperationIds?: Record<string, number>;
  /** `true` when this is the full state: the client removes what it lacks. */
  reset?: boolean;
  /** The requesting client's refused operations (see `StateSyncRequest.clientId`). */
  failedOperations?: FailedOperation[];
  /** Server time of the answer, ms since the epoch. */
  syncTimestamp: number;
}

/** What a pull changed, as handed to `onStatePatch` listeners. */
export interface StatePatch {
  /** New version after the patch. */
  stateVersion: string;
  /** The pending operations this pull confirmed. */
  operations: ConfirmedOperation[];
  /** Entities modified or added. */
  entities: Entity[];
  /** Ids of the removed entities. */
  deletedEntityIds: string[];
  /** The removed entities, with their types. */
  deleted: DeletedEntity[];
  /** `true` when the patch is the full state (remove whatever it lacks). */
  reset: boolean;
  /** When the patch was created (server time). */
  timestamp: number;
}

/** An operation the server applied, as reported by `onOperationConfirmed`. */
export interface ConfirmedOperation {
  name: string;
  args: any[];
  id: number;
  clientId: string;
  serverTimestamp: number;
  /** Operation result if any (mutators return nothing; reserved). */
  result?: any;
}

/** The HTTP transport `ModernSyncEngine` uses; the default is built on `fetch`. */
export interface HttpClient {
  /** POSTs `data` as JSON to `endpoint` (an absolute URL) and resolves with the parsed JSON body of a 2xx answer. */
  post<TRequest, TResponse>(endpoint: string, data: TRequest, options?: RequestOptions): Promise<TResponse>;
  /** GETs `endpoint` (an absolute URL) and resolves with the parsed JSON body of a 2xx answer. */
  get<TResponse>(endpoint: string, options?: RequestOptions): Promise<TResponse>;
}

/** Per-request options of `HttpClient`. */
export interface RequestOptions {
  /** Abort after this many ms. */
  timeout?: number;
  /** Retries inside the client (the engine does its own; it passes 0). */
  retries?: number;
  /** Extra headers (the engine sets `Authorization`). */
  headers?: Record<string, string>;
}

/** A notification frame (WebSocket text frame, or SSE `data:`). Notifications never carry data: they say "pull". */
export interface NotificationMessage {
  type: "state_changed" | "operation_confirmed" | "client_connected" | "client_disconnected";
  payload: any;
  timestamp: number;
}

/** Something changed on the server: pull. */
export interface StateChangedNotification extends NotificationMessage {
  type: "state_changed";
  payload: {
    stateVersion: string;
    affectedEntityTypes: string[];
    triggerClientId?: string;
  };
}

/** An operation of the receiving client was processed. */
export interface OperationConfirmedNotification extends NotificationMessage {
  type: "operation_confirmed";
  payload: OperationConfirmation;
}

/** Presence: a client opened a notification connection. */
export interface ClientConnectedNotification extends NotificationMessage {
  type: "client_connected";
  payload: { clientId: string; userId?: string };
}

/** Presence: a client's last notification connection closed. */
export interface ClientDisconnectedNotification extends NotificationMessage {
  type: "client_disconnected";
  payload: { clientId: string; userId?: string };
}

/** The push response: confirmations plus where a push stopped at a gap. */
export interface PushResponse {
  confirmations: OperationConfirmation[];
  /**
   * One entry per client whose operations stopped at a gap: the server
   * expected `expectedOperationId` and got `receivedOperationId`; that
   * operation and the client's later ones in the push were not applied.
   */
  gaps?: OperationGap[];
}

/** See `PushResponse.gaps`. */
export interface OperationGap {
  clientId: string;
  expectedOperationId: number;
  receivedOperationId: number;
}

/** The server contract (endpoints, bodies, notifications). */
export interface ServerSyncContract<TSchema> {
  operations: {
    /** `POST /sync/operations` */
    endpoint: string;
    request: { operations: PendingOperation[] };
    response: PushResponse;
  };
  state: {
    /** `POST /sync/state` */
    endpoint: string;
    request: StateSyncRequest;
    response: StateSyncResponse<TSchema>;
  };
  notifications: {
    transport: "websocket" | "sse";
    /** `ws://host/sync/notify` or `http://host/sync/events` */
    endpoint: string;
  };
}

/** Framework-agnostic validation of operations and entities. */
export interface SyncValidator<TSchema> {
  validateOperation(raw: unknown): Result<ValidatedOperation<TSchema>>;
  validateStateData(raw: unknown): Result<ValidatedEntity<TSchema>>;
  /** A plain `(req, res, next)` middleware (Express, Connect, `node:http`) validating a push body. */
  createMiddleware(): (req: any, res: any, next: any) => void;
}

/** A success with data, or a failure with a message. */
export type Result<T> = { success: true; data: T } | { success: false; error: string };

/** An operation whose shape (and name, when the validator knows the mutators) was checked. */
export interface ValidatedOperation<TSchema> {
  name: string;
  args: any[];
  schema: TSchema;
  isValid: boolean;
  /** The operation as received, when it carried its id and client. */
  operation?: PendingOperation;
}

/** An entity checked against the schema. */
export interface ValidatedEntity<TSchema> {
  id: string;
  type: string;
  data: any;
  schema: TSchema;
  isValid: boolean;
}
