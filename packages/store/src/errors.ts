/**
 * The root of every error Kalphite throws. `code` is a stable string a program
 * can switch on; `message` is for people. Other packages extend this class with
 * their own codes (`FlushError`, `DatabaseError`, …).
 */
export class KalphiteError<TCode extends string = string> extends Error {
  /** A stable, machine-readable code such as `"VALIDATION_FAILED"`. */
  readonly code: TCode;

  constructor(code: TCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "KalphiteError";
    this.code = code;
  }
}

/** Codes of the errors thrown by `@kalphite/store`. */
export const StoreErrorCode = {
  /** An entity failed the schema or the basic `{ id, type }` shape check. */
  ValidationFailed: "VALIDATION_FAILED",
  /** The schema's `~standard.validate` returned a Promise; validation must be synchronous. */
  AsyncSchema: "ASYNC_SCHEMA",
  /** An entity's `type` does not match the collection it was written to. */
  TypeMismatch: "TYPE_MISMATCH",
  /** An entity's `id` disagrees with the id it was written under. */
  IdMismatch: "ID_MISMATCH",
  /** `update(id, recipe)` on an id the collection does not hold. */
  NotFound: "NOT_FOUND",
  /** A mutating array operation that cannot keep the collection and store in sync. */
  UnsupportedMutation: "UNSUPPORTED_MUTATION",
  /** A bad argument or option (for example a non-function listener). */
  InvalidArgument: "INVALID_ARGUMENT",
  /** `store.applyPatches`: an operation does not apply (a failed `test`, a missing path). Nothing was applied. */
  PatchFailed: "PATCH_FAILED",
  /** A live view (or groupBy map) was used after `dispose()`. */
  ViewDisposed: "VIEW_DISPOSED",
} as const;

/** A code of `StoreErrorCode`. */
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

/** One failing path of an entity, as reported by its schema. */
export interface ValidationIssue {
  /** What is wrong, in the schema library's words. */
  readonly message: string;
  /** Where it is wrong: property keys from the entity's root; empty for the entity itself. */
  readonly path: ReadonlyArray<PropertyKey>;
}

/**
 * An entity was refused at the store boundary. Names the entity (`entityType`,
 * `entityId`, either may be undefined when the input did not carry them) and
 * every failing path. Nothing was applied when this is thrown.
 */
export class ValidationError extends KalphiteError<"VALIDATION_FAILED"> {
  readonly entityType: string | undefined;
  readonly entityId: string | undefined;
  readonly issues: readonly ValidationIssue[];

  constructor(
    entityType: string | undefined,
    entityId: string | undefined,
    issues: readonly ValidationIssue[],
    options?: { cause?: unknown },
  ) {
    const what = `${entityType ?? "entity"}${entityId === undefined ? "" : ` "${entityId}"`}`;
    const detail = issues
      .map((issue) => (issue.path.length ? `${issue.path.map(String).join(".")}: ${issue.message}` : issue.message))
      .join("; ");
    super(StoreErrorCode.ValidationFailed, `Invalid ${what}: ${detail}`, options);
    this.name = "ValidationError";
    this.entityType = entityType;
    this.entityId = entityId;
    this.issues = issues;
  }
}
