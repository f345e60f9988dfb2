/**
 * RFC 6901 JSON Pointers: `""` is the whole document, `"/a/0/b"` walks keys
 * and array indices; `~1` stands for `/` and `~0` for `~` inside a token.
 */

/** Escapes one reference token: `~` → `~0`, `/` → `~1` (in that order, as RFC 6901 requires). */
export function escapePointerToken(token: string | number): string {
  const text = String(token);
  return text.includes("~") || text.includes("/") ? text.replace(/~/g, "~0").replace(/\//g, "~1") : text;
}

/** Builds a pointer from unescaped tokens: `["a/b", 0]` → `"/a~1b/0"`; `[]` → `""`. */
export function formatPointer(tokens: ReadonlyArray<string | number>): string {
  let out = "";
  for (const token of tokens) out += `/${escapePointerToken(token)}`;
  return out;
}

/**
 * Parses a pointer into unescaped tokens, or returns `undefined` when it is
 * not a valid RFC 6901 pointer (does not start with `/`, or has a `~` not
 * followed by `0` or `1`).
 */
export function parsePointer(pointer: string): string[] | undefined {
  if (pointer === "") return [];
  if (pointer.charCodeAt(0) !== 47 /* "/" */) return undefined;
  const raw = pointer.slice(1).split("/");
  for (let i = 0; i < raw.length; i++) {
    const token = raw[i]!;
    if (!token.includes("~")) continue;
    if (/~(?![01])/.test(token)) return undefined;
    raw[i] = token.replace(/~[01]/g, (m) => (m === "~1" ? "/" : "~"));
  }
  return raw;
}

/** True when `prefix` is `pointer` itself or one of its ancestors (`"/a"` of `"/a/b"`, not of `"/ab"`). */
export function isPointerPrefix(prefix: string, pointer: string): boolean {
  return prefix === pointer || prefix === "" || (pointer.startsWith(prefix) && pointer.charCodeAt(prefix.length) === 47);
}
