import { KalphiteError } from "@kalphite/store";

/**
 * Codes of the errors `@kalphite/sync-ws` throws, rejects with or emits as
 * `error` events (client and server).
 *
 * | code | when |
 * |---|---|
 * | `INVALID_CONFIG` | a `SyncConfig` / server option is missing or out of range |
 * | `INVALID_CHANGE` | `sendChange` got something that is not a change (or the server refused it as such) |
 * | `QUEUE_FULL` | the offline queue holds `maxQueueSize` changes; the new one is refused, nothing is dropped |
 * | `UNAUTHORIZED` | the server refused the token (close code 4001); no retry |
 * | `CONNECT_FAILED` | `reconnectAttempts` attempts in a row failed; the engine stays disconnected |
 * | `DISCONNECTED` | `disconnect()` was called while `connect()` or `flush()` waited |
 * | `REJECTED` | the server refused a change for good (its error frame is the `cause`); the change left the queue |
 * | `PROTOCOL_ERROR` | the server sent a frame that fails the protocol schema |
 * | `STORAGE_FAILED` | the queue storage (or the server's storage) failed |
 * | `SERVER_ERROR` | the server reported an error frame that concerns no single change |
 */
export const SyncErrorCode = {
  InvalidConfig: "INVALID_CONFIG",
  InvalidChange: "INVALID_CHANGE",
  QueueFull: "QUEUE_FULL",
  Unauthorized: "UNAUTHORIZED",
  ConnectFailed: "CONNECT_FAILED",
  Disconnected: "DISCONNECTED",
  Rejected: "REJECTED",
  ProtocolError: "PROTOCOL_ERROR",
  StorageFailed: "STORAGE_FAILED",
  ServerError: "SERVER_ERROR",
} as const;

/** A code of `SyncErrorCode`. */
export type SyncErrorCode = (typeof SyncErrorCode)[keyof typeof SyncErrorCode];

/**
 * An error of the sync layer. `code` says what went wrong; `details` carries
 * plain data about it (the refused change, the close code, the server's error
 * frame); `cause` keeps the underlying error.
 */
export class SyncError extends KalphiteError<SyncErrorCode> {
  /** Plain data about the error (e.g. `{ messageId, closeCode }`); empty when there is none. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: SyncErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(code, message, options && "cause" in options ? { cause: options.cause } : undefined);
    this.name = "SyncError";
    this.details = options?.details ?? {};
  }
}

/**
 * The codes of the `{ type: "error", code, message }` frames the server sends.
 * `retriable` codes mean "send it again later"; the others refuse the frame for good.
 */
export const WireErrorCode = {
  /** Not JSON, or the frame fails the protocol schema; the message says where. */
  InvalidFrame: "INVALID_FRAME",
  /** A well-formed change the server refuses (an entity whose id or type disagrees with the change…). */
  InvalidChange: "INVALID_CHANGE",
  /** A frame other than `auth` before authentication, when the server requires it. */
  NotAuthenticated: "NOT_AUTHENTICATED",
  /** A second `auth` frame on an authenticated connection. */
  AlreadyAuthenticated: "ALREADY_AUTHENTICATED",
  /** `authenticate` refused the token (the connection is then closed with 4001). */
  Unauthorized: "UNAUTHORIZED",
  /** The connection went over its rate limit; the frame was not applied (retriable, see `retryAfterMs`). */
  RateLimited: "RATE_LIMITED",
  /** The server's storage failed; the change was not applied (retriable). */
  StorageFailed: "STORAGE_FAILED",
  /** The server is shutting down; the change was not applied (retriable). */
  ShuttingDown: "SHUTTING_DOWN",
} as const;

/** A code of `WireErrorCode`. */
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

/** The wire error codes after which a client sends the same change again. */
export const RETRIABLE_WIRE_CODES: ReadonlySet<string> = new Set([WireErrorCode.RateLimited, WireErrorCode.StorageFailed, WireErrorCode.ShuttingDown]);

/**
 * WebSocket close codes the server uses (and the client understands).
 *
 * | code | meaning | client reaction |
 * |---|---|---|
 * | 1000 | normal close (the client asked) | — |
 * | 1001 | the server is shutting down (`close()`) | reconnect with backoff |
 * | 1009 | a frame was larger than `maxPayloadBytes` | reconnect; the oversized change is refused locally |
 * | 1011 | internal server error | reconnect with backoff |
 * | 1013 | the client did not read fast enough (over 16 MiB waited for it) | reconnect with backoff, catch up |
 * | 4001 | the token was refused by `authenticate` | reject `connect()`, no retry |
 * | 4002 | a change arrived before `auth` on a server that requires a token | reconnect |
 * | 4003 | the `auth` frame was malformed | reject `connect()`, no retry |
 * | 4008 | no `auth` frame within `authTimeoutMs` | reconnect |
 * | 4009 | no frame within two heartbeat intervals (dead peer; the socket is dropped right after) | reconnect |
 */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  MessageTooBig: 1009,
  InternalError: 1011,
  TryAgainLater: 1013,
  Unauthorized: 4001,
  AuthRequired: 4002,
  BadAuth: 4003,
  AuthTimeout: 4008,
  HeartbeatTimeout: 4009,
} as const;

/** A code of `CloseCode`. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** A short description of a thrown value, for messages. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return typeof error === "string" ? error : (JSON.stringify(error) ?? String(error));
  } catch {
    return String(error);
  }
}
