let closed = false;

/**
 * Writes to stdout unless its reader went away: `kalphite-todo list | head -3`
 * closes the pipe early, and the rest of the output is dropped quietly (the
 * command still finishes and saves) instead of an EPIPE stack trace.
 */
export function writeOut(text: string): void {
  if (!closed) process.stdout.write(text);
}

/** Installs the EPIPE handling `writeOut` relies on (once). */
export function guardStdout(): void {
  if (process.stdout.listenerCount("error") > 0) return;
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") {
      closed = true;
      return;
    }
    throw error;
  });
}
