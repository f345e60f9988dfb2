import { KalphiteError } from "@kalphite/store";

/** Codes of the errors `kalphite-server` reports. */
export const ServerErrorCode = {
  /** A flag or option has a bad value (the message names it). */
  InvalidOption: "INVALID_OPTION",
  /** The tokens file is missing, unreadable or malformed (the message names the path and the entry). */
  InvalidTokensFile: "INVALID_TOKENS_FILE",
  /** The storage (PGlite or PostgreSQL) could not be opened or failed. */
  StorageFailed: "STORAGE_FAILED",
  /** A new room was refused: `--max-rooms` rooms are open. */
  RoomLimit: "ROOM_LIMIT",
  /** The port could not be bound. */
  ListenFailed: "LISTEN_FAILED",
} as const;

/** A code of `ServerErrorCode`. */
export type ServerErrorCode = (typeof ServerErrorCode)[keyof typeof ServerErrorCode];

/** An error of `kalphite-server` (printed as one line, exit code 1). */
export class ServerError extends KalphiteError<ServerErrorCode> {
  constructor(code: ServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "ServerError";
  }
}

/** The message of any thrown value. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
