import { KalphiteError } from "@kalphite/store";

/** Codes of the errors of `@kalphite/transactions`. */
export const TransactionsErrorCode = {
  /** A `createCollection` / storage option is missing or malformed. */
  InvalidConfig: "INVALID_CONFIG",
  /** A bad argument to `insert` / `update` / `delete` / `withMutation` (nothing was applied). */
  InvalidArgument: "INVALID_ARGUMENT",
  /** `update` or `delete` of an id the collection does not hold. */
  NotFound: "NOT_FOUND",
  /** `insert` of an id the collection already holds. */
  AlreadyExists: "ALREADY_EXISTS",
  /** A state change the state machine does not allow (a bug if it ever surfaces). */
  InvalidTransition: "INVALID_TRANSITION",
  /** The transaction failed because a transaction it was queued behind failed. */
  DependencyFailed: "DEPENDENCY_FAILED",
  /** The page closed (or the process stopped) while a persist was running. */
  Interrupted: "INTERRUPTED",
  /** The collection was disposed. */
  Disposed: "DISPOSED",
  /** A stored transaction record could not be read back. */
  CorruptRecord: "CORRUPT_RECORD",
  /** The storage failed. */
  StorageFailed: "STORAGE_FAILED",
} as const;

/** A code of `TransactionsErrorCode`. */
export type TransactionsErrorCode = (typeof TransactionsErrorCode)[keyof typeof TransactionsErrorCode];

/** An error of `@kalphite/transactions`; `cause` keeps the underlying error. */
export class TransactionsError extends KalphiteError<TransactionsErrorCode> {
  constructor(code: TransactionsErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options && "cause" in options ? { cause: options.cause } : undefined);
    this.name = "TransactionsError";
  }
}

/**
 * Thrown by `mutationFn.persist()` for a failure no retry can fix: the
 * transaction fails at once (and, with the ordered strategy, so do the
 * transactions queued behind it). Any error whose `name` is
 * `"NonRetriableError"` is treated the same way.
 */
export class NonRetriableError extends KalphiteError<"NON_RETRIABLE"> {
  constructor(message: string, options?: { cause?: unknown }) {
    super("NON_RETRIABLE", message, options && "cause" in options ? { cause: options.cause } : undefined);
    this.name = "NonRetriableError";
  }
}

/** Whether `error` asks not to be retried. */
export function isNonRetriable(error: unknown): boolean {
  return error instanceof NonRetriableError || (error instanceof Error && error.name === "NonRetriableError");
}

/** `value` as an `Error` (thrown non-errors are wrapped, keeping the value as `cause`). */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  let text: string;
  try {
    text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return new Error(text, { cause: value });
}
