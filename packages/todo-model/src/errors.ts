import { KalphiteError } from "@kalphite/store";

/** Codes of the errors the todo mutators throw (a throw refuses the operation; the client rolls it back). */
export const TodoModelErrorCode = {
  /** A mutator argument is missing or malformed (an empty title, a bad date, an unknown priority…). */
  InvalidInput: "INVALID_INPUT",
  /** The todo or project named does not exist (any more). */
  NotFound: "NOT_FOUND",
  /** The change collides with what exists (a project of that name already exists). */
  Conflict: "CONFLICT",
} as const;

/** A code of `TodoModelErrorCode`. */
export type TodoModelErrorCode = (typeof TodoModelErrorCode)[keyof typeof TodoModelErrorCode];

/** What a todo mutator throws to refuse an operation. */
export class TodoModelError extends KalphiteError<TodoModelErrorCode> {
  constructor(code: TodoModelErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "TodoModelError";
  }
}
