import { KalphiteError } from "@kalphite/store";

/** Codes of the errors thrown by `@kalphite/react`. */
export const ReactBindingErrorCode = {
  /** A hook got something it cannot subscribe to (not a store, not a live view, not a collection config). */
  InvalidArgument: "INVALID_ARGUMENT",
} as const;

/** A code of `ReactBindingErrorCode`. */
export type ReactBindingErrorCode = (typeof ReactBindingErrorCode)[keyof typeof ReactBindingErrorCode];

/** An error thrown by a `@kalphite/react` hook, with a stable `code`. */
export class ReactBindingError extends KalphiteError<ReactBindingErrorCode> {
  constructor(code: ReactBindingErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "ReactBindingError";
  }
}
