import { KalphiteError } from "@kalphite/store";

/** Codes of the errors the web app raises. */
export const TodoWebErrorCode = {
  /** The page was given no sync server URL, or a malformed one. */
  InvalidConfig: "INVALID_CONFIG",
  /** IndexedDB could not be opened or a request on it failed. */
  StorageFailed: "STORAGE_FAILED",
  /** A resync request to the server failed. */
  ResyncFailed: "RESYNC_FAILED",
} as const;

/** A code of `TodoWebErrorCode`. */
export type TodoWebErrorCode = (typeof TodoWebErrorCode)[keyof typeof TodoWebErrorCode];

/** An error of the web app, with a stable `code`. */
export class TodoWebError extends KalphiteError<TodoWebErrorCode> {
  constructor(code: TodoWebErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "TodoWebError";
  }
}
