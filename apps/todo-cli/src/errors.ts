import { KalphiteError } from "kalphite/store";
import { safeText } from "./render/text";

/** Codes of the errors the todo app reports to its user. */
export const TodoErrorCode = {
  /** A value the user typed is not acceptable (empty title, bad date, …). */
  InvalidInput: "INVALID_INPUT",
  /** No todo or project matches what the user named. */
  NotFound: "NOT_FOUND",
  /** An id prefix matches more than one todo. */
  AmbiguousId: "AMBIGUOUS_ID",
  /** A name is taken already. */
  Conflict: "CONFLICT",
  /** A file to import is not a backup this app can restore. */
  BadBackup: "BAD_BACKUP",
  /** Reading or writing a file failed. */
  Io: "IO",
} as const;

/** A code of `TodoErrorCode`. */
export type TodoErrorCode = (typeof TodoErrorCode)[keyof typeof TodoErrorCode];

/**
 * A problem the user can fix. The CLI prints `kalphite-todo: <message>` on
 * stderr and exits with code 1; the shell prints the same line and carries on.
 * Nothing has been written when one is thrown.
 */
export class TodoError extends KalphiteError<TodoErrorCode> {
  constructor(code: TodoErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "TodoError";
  }
}

/** The one line to show for any thrown value: the message, without stack or newlines. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = message.replace(/\s*\n\s*/g, " ").trim() || "unknown error";
  // What the user typed may be in the message: never let it reach the terminal raw.
  return safeText(line);
}
