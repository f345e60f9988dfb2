/** A progress line that may or may not have appeared; `stop()` clears it. */
export interface Progress {
  stop(): void;
}

/**
 * Shows a spinner on stderr with `text`, but only when stderr is a terminal
 * and the work is still going after `delayMs`: quick operations print
 * nothing, and piped or redirected output never gets spinner frames.
 * @param delayMs @default 500
 */
export function delayedSpinner(text: string, stream: NodeJS.WriteStream = process.stderr, delayMs = 500): Progress {
  if (!stream.isTTY) return { stop() {} };
  let stopped = false;
  let spinner: { stop(): unknown } | undefined;
  const timer = setTimeout(() => {
    void import("nanospinner").then(({ createSpinner }) => {
      if (stopped) return;
      const before = { SIGINT: process.listeners("SIGINT"), SIGTERM: process.listeners("SIGTERM") };
      const started = createSpinner(text, { stream }).start();
      // nanospinner exits the process on Ctrl-C; the app's own handler must
      // decide instead (it finishes writing before it exits), so drop theirs.
      for (const signal of ["SIGINT", "SIGTERM"] as const) {
        for (const listener of process.listeners(signal)) if (!before[signal].includes(listener)) process.off(signal, listener);
      }
      spinner = started;
    });
  }, delayMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      spinner?.stop();
      spinner = undefined;
    },
  };
}
