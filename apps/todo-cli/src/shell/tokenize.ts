import { TodoError, TodoErrorCode } from "../errors";

/**
 * Splits a shell line into arguments the way a POSIX shell would for plain
 * words: whitespace separates, 'single' and "double" quotes group (and may
 * be empty: `add ""`), a backslash escapes the next character outside single
 * quotes. No variables, globs or pipes: each argument reaches the command as typed.
 * @throws TodoError on an unterminated quote
 */
export function tokenize(line: string): string[] {
  const args: string[] = [];
  let current = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === "\\" && quote === '"' && (line[i + 1] === '"' || line[i + 1] === "\\")) current += line[++i];
      else current += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < line.length) {
      current += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) args.push(current);
      current = "";
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (quote) throw new TodoError(TodoErrorCode.InvalidInput, `unterminated ${quote === '"' ? "double" : "single"} quote`);
  if (inWord) args.push(current);
  return args;
}
