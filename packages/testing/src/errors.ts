import { KalphiteError } from "@kalphite/store";

/**
 * Codes of the errors `@kalphite/testing` throws.
 *
 * | code | meaning |
 * |---|---|
 * | `INVALID_ARGUMENT` | a bad option of `simulate` (names the option) |
 * | `PROPERTY_FAILED` | a simulated run broke a guarantee (the message has the seed, the replay path and the shrunk trace) |
 * | `CRASHED` | a simulated process or storage was used after it crashed |
 */
export const TestingErrorCode = {
  InvalidArgument: "INVALID_ARGUMENT",
  PropertyFailed: "PROPERTY_FAILED",
  Crashed: "CRASHED",
} as const;

/** A code of `TestingErrorCode`. */
export type TestingErrorCode = (typeof TestingErrorCode)[keyof typeof TestingErrorCode];

/** Every error `@kalphite/testing` throws. */
export class TestingError extends KalphiteError<TestingErrorCode> {
  constructor(code: TestingErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "TestingError";
  }
}
