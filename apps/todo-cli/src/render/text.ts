import stringWidth from "string-width";

const segmenter = new Intl.Segmenter();

// Printable ASCII is one column per character: the common case skips
// string-width, which costs microseconds per call (a 1,000-row table calls it
// tens of thousands of times).
const PLAIN = /^[\x20-\x7e]*$/;

/** The number of terminal columns `text` occupies (wide characters count 2, ANSI codes 0). */
export function widthOf(text: string): number {
  return PLAIN.test(text) ? text.length : stringWidth(text);
}

/**
 * `text` cut to at most `width` columns, ending in `…` when cut. Cuts between
 * graphemes, so emoji and combining marks are never split.
 */
export function truncate(text: string, width: number): string {
  if (width <= 0) return "";
  if (widthOf(text) <= width) return text;
  if (PLAIN.test(text)) return `${text.slice(0, width - 1)}…`;
  let out = "";
  let used = 0;
  for (const { segment } of segmenter.segment(text)) {
    const w = stringWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return `${out}…`;
}

/** `text` padded with spaces to `width` columns (on the right, or on the left for `"right"`). */
export function pad(text: string, width: number, align: "left" | "right" = "left"): string {
  const gap = Math.max(0, width - widthOf(text));
  return align === "right" ? " ".repeat(gap) + text : text + " ".repeat(gap);
}

/** Collapses whitespace (newlines, tabs) to single spaces so one entity stays on one line. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

// C0 controls (ESC among them), DEL, C1 controls, line/paragraph separators
// and the bidirectional overrides that can make text read differently.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every control character and escape sequence made visible
 * (`\x1b`, `\u{202e}`), so what a todo holds never reaches the terminal raw:
 * no colour changes, cursor moves, title rewrites or reordered text.
 */
export function safeText(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
  });
}
