import { KalphiteError } from "@kalphite/store";

/** Codes of the errors thrown by `@kalphite/coordinator`. */
export const CoordinatorErrorCode = {
  /** A JSON Patch (or one of its operations) is malformed: unknown `op`, bad pointer, missing `value`/`from`. */
  InvalidPatch: "INVALID_PATCH",
  /** A patch operation does not fit the document: a missing path, an array index out of range, a non-container parent. */
  PatchConflict: "PATCH_CONFLICT",
  /** A `test` operation found a different value. */
  PatchTestFailed: "PATCH_TEST_FAILED",
  /** A bad argument to a coordinator method (a duplicate or non-integer `clientSeq`, a malformed registration…). */
  InvalidArgument: "INVALID_ARGUMENT",
  /** A server delta message is malformed (non-integer `serverSeq`, a delta that is not per-atom patches…). */
  InvalidDelta: "INVALID_DELTA",
  /** The conflict strategy threw, or the resolved delta did not apply to the owner's state; nothing was changed. */
  DeltaFailed: "DELTA_FAILED",
  /** An optimistic client was used after `dispose()`. */
  Disposed: "DISPOSED",
  /** A mutator name or its arguments were refused on the client. */
  InvalidMutation: "INVALID_MUTATION",
  /** The server rejected a speculative operation; it was rolled back. */
  Rejected: "REJECTED",
} as const;

/** A code of `CoordinatorErrorCode`. */
export type CoordinatorErrorCode = (typeof CoordinatorErrorCode)[keyof typeof CoordinatorErrorCode];

/** An error of the coordinator or the optimistic client. `cause` keeps the underlying error. */
export class CoordinatorError extends KalphiteError<CoordinatorErrorCode> {
  constructor(code: CoordinatorErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options && "cause" in options ? { cause: options.cause } : undefined);
    this.name = "CoordinatorError";
  }
}

/**
 * A JSON Patch could not be applied. `operationIndex` is the index of the
 * failing operation in the patch (-1 when the patch itself is not an array)
 * and `operation` the operation as given. The input document is unchanged.
 */
export class PatchError extends KalphiteError<"INVALID_PATCH" | "PATCH_CONFLICT" | "PATCH_TEST_FAILED"> {
  readonly operationIndex: number;
  readonly operation: unknown;

  constructor(
    code: "INVALID_PATCH" | "PATCH_CONFLICT" | "PATCH_TEST_FAILED",
    message: string,
    operationIndex: number,
    operation: unknown,
  ) {
    super(code, operationIndex >= 0 ? `Patch operation ${operationIndex}: ${message}` : message);
    this.name = "PatchError";
    this.operationIndex = operationIndex;
    this.operation = operation;
  }
}
