import { KalphiteError } from "@kalphite/store";

/**
 * The codes that cross the wire as `{ error: { code, message } }` and that
 * `SyncOpsError` carries. HTTP status per code:
 *
 * | code | status | meaning |
 * |---|---|---|
 * | `BAD_REQUEST` | 400 | body is not JSON or does not match the endpoint's schema |
 * | `UNAUTHORIZED` | 401 | missing or refused bearer token |
 * | `NOT_FOUND` | 404 | no such endpoint |
 * | `METHOD_NOT_ALLOWED` | 405 | wrong HTTP method for the endpoint |
 * | `PAYLOAD_TOO_LARGE` | 413 | body over `maxBodyBytes`, or more than `maxOperationsPerPush` operations |
 * | `STORAGE_FAILED` | 500 | the storage failed; nothing of that push was applied |
 * | `INTERNAL` | 500 | an unexpected server error (reported to `onError`) |
 * | `SHUTTING_DOWN` | 503 | the server is closing |
 */
export const SyncOpsErrorCode = {
  BadRequest: "BAD_REQUEST",
  Unauthorized: "UNAUTHORIZED",
  NotFound: "NOT_FOUND",
  MethodNotAllowed: "METHOD_NOT_ALLOWED",
  PayloadTooLarge: "PAYLOAD_TOO_LARGE",
  StorageFailed: "STORAGE_FAILED",
  Internal: "INTERNAL",
  ShuttingDown: "SHUTTING_DOWN",
  /** Client side: `executeOperation` past `offlineQueueLimit`. */
  QueueFull: "QUEUE_FULL",
  /** Client side: a bad argument or option. */
  InvalidArgument: "INVALID_ARGUMENT",
  /** Client side: a request failed (network error, timeout, or a non-2xx answer). */
  RequestFailed: "REQUEST_FAILED",
  /** Client side: a response did not match the protocol. */
  ProtocolError: "PROTOCOL_ERROR",
  /** The engine or server was used after it was closed. */
  Closed: "CLOSED",
} as const;

/** A code of `SyncOpsErrorCode`. */
export type SyncOpsErrorCode = (typeof SyncOpsErrorCode)[keyof typeof SyncOpsErrorCode];

/** HTTP status of each wire error code. */
export const HTTP_STATUS_OF: Readonly<Record<string, number>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  STORAGE_FAILED: 500,
  INTERNAL: 500,
  SHUTTING_DOWN: 503,
};

/** Every error `@kalphite/sync-ops` throws. `status` is the HTTP status when one was involved. */
export class SyncOpsError extends KalphiteError<SyncOpsErrorCode> {
  /** HTTP status of the response that carried this error, when there was one. */
  readonly status: number | undefined;

  constructor(code: SyncOpsErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SyncOpsError";
    this.status = options?.status;
  }
}

/** Wraps an unknown thrown value's message for the wire or a report. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
