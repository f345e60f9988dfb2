import { KalphiteError } from "@kalphite/store";
import type { FlushChange } from "./types";

/** Codes of the errors thrown by `@kalphite/flush`. */
export const FlushErrorCode = {
  /** A `FlushConfig` option is missing or out of range (thrown by the constructor). */
  InvalidConfig: "INVALID_CONFIG",
  /** A bad argument to a method (an entity without a `type`, a delete without its type…). */
  InvalidArgument: "INVALID_ARGUMENT",
  /** The engine was destroyed: scheduling throws, pending `flush()` calls reject. */
  Destroyed: "DESTROYED",
  /** `maxQueueSize` distinct entities are queued; a new one is refused. */
  QueueFull: "QUEUE_FULL",
  /** The target kept failing after every retry; the changes stay queued. */
  DeliveryFailed: "DELIVERY_FAILED",
  /** The target refused changes for good; they are in the dead-letter list. */
  DeadLetter: "DEAD_LETTER",
  /** `close({ timeoutMs })` expired before everything was delivered; the changes stay queued. */
  CloseTimeout: "CLOSE_TIMEOUT",
} as const;

/** A code of `FlushErrorCode`. */
export type FlushErrorCode = (typeof FlushErrorCode)[keyof typeof FlushErrorCode];

/**
 * An error of the flush engine. `code` says what went wrong; `changes` lists
 * the changes concerned (the undelivered ones for `DELIVERY_FAILED` and
 * `DESTROYED`); `cause` keeps the underlying error (the target's last
 * rejection).
 */
export class FlushError extends KalphiteError<FlushErrorCode> {
  /** The changes this error is about; empty when it concerns none. */
  readonly changes: readonly FlushChange[];

  constructor(code: FlushErrorCode, message: string, options?: { cause?: unknown; changes?: readonly FlushChange[] }) {
    super(code, message, options && "cause" in options ? { cause: options.cause } : undefined);
    this.name = "FlushError";
    this.changes = options?.changes ?? [];
  }
}

/** Whether `error` is a `NonRetriableError` (also one from another copy of this package, by its code). */
export function isNonRetriable(error: unknown): error is NonRetriableError {
  return error instanceof NonRetriableError || (error instanceof Error && (error as { code?: unknown }).code === "NON_RETRIABLE");
}

/** A short description of a thrown value, for messages. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return typeof error === "string" ? error : JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/** The error of a call on a destroyed engine; `changes` are the ones it left undelivered. */
export function destroyedError(call: string, changes: readonly FlushChange[] = []): FlushError {
  const lost = changes.length > 0 ? ` ${changes.length} change(s) were not delivered (see getQueuedChanges()).` : "";
  return new FlushError(FlushErrorCode.Destroyed, `MemoryFlushEngine.${call}: the engine was destroyed.${lost}`, { changes });
}

/**
 * Thrown (or rejected with) by a `FlushTarget` for a failure that no retry can
 * fix: a value the storage refuses, a constraint it will never accept. The
 * engine does not retry it; it isolates the offending change(s), delivers the
 * rest, and keeps what cannot be delivered as dead letters. `changes`, when
 * given, names the offending changes (otherwise the engine finds them).
 */
export class NonRetriableError extends KalphiteError<"NON_RETRIABLE"> {
  /** The changes the target refuses, when it knows them; empty when it does not. */
  readonly changes: readonly FlushChange[];

  constructor(message: string, options?: { cause?: unknown; changes?: readonly FlushChange[] }) {
    super("NON_RETRIABLE", message, options && "cause" in options ? { cause: options.cause } : undefined);
    this.name = "NonRetriableError";
    this.changes = options?.changes ?? [];
  }
}
