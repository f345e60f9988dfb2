/** One log line per event, on stderr: `<ISO time> <level> <event> key=value …`. */
export interface Logger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

const QUOTE = /[\s"=\\]|^$/;

function format(value: unknown): string {
  const text = typeof value === "string" ? value : value instanceof Error ? value.message : JSON.stringify(value) ?? String(value);
  // Quoted (JSON string escapes: no newline or control character reaches the log raw) when it holds spaces or quotes.
  return QUOTE.test(text) || /[\u0000-\u001f\u007f]/.test(text) ? JSON.stringify(text) : text;
}

/**
 * A logger writing to `write` (default: stderr). With `quiet`, only warnings
 * and errors are written.
 */
export function createLogger(options: { quiet?: boolean; write?: (line: string) => void; now?: () => Date } = {}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const line = (level: string, event: string, fields: Record<string, unknown> = {}) => {
    const parts = [now().toISOString(), level, event];
    for (const [key, value] of Object.entries(fields)) if (value !== undefined) parts.push(`${key}=${format(value)}`);
    write(`${parts.join(" ")}\n`);
  };
  return {
    info: (event, fields) => {
      if (!options.quiet) line("info", event, fields);
    },
    warn: (event, fields) => line("warn", event, fields),
    error: (event, fields) => line("error", event, fields),
  };
}
