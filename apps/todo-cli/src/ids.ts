import { randomBytes } from "node:crypto";
import { TodoError, TodoErrorCode } from "./errors";

// Crockford's base32, lower case: no i, l, o or u, so ids read aloud cleanly.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** Length of a new id: 12 base32 characters, 60 random bits. */
export const ID_LENGTH = 12;

/** Short ids are never shorter than this. @default 4 */
export const MIN_SHORT_ID = 4;

/** A new random id, e.g. `k3f9x2m8q1ab`. */
export function newId(): string {
  const bytes = randomBytes(ID_LENGTH);
  let id = "";
  for (const byte of bytes) id += ALPHABET[byte & 31];
  return id;
}

function commonPrefixLength(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * The shortest prefix of each id that no other id shares, at least
 * `MIN_SHORT_ID` characters (or the whole id when it is shorter).
 */
export function shortIds(ids: Iterable<string>): Map<string, string> {
  const sorted = [...new Set(ids)].sort();
  const result = new Map<string, string>();
  sorted.forEach((id, i) => {
    // In sorted order the longest shared prefix is always with a neighbour.
    const before = i > 0 ? commonPrefixLength(id, sorted[i - 1]!) : 0;
    const after = i < sorted.length - 1 ? commonPrefixLength(id, sorted[i + 1]!) : 0;
    result.set(id, id.slice(0, Math.max(MIN_SHORT_ID, before + 1, after + 1)));
  });
  return result;
}

/**
 * Resolves what the user typed (a whole id or any unique prefix of one,
 * case-insensitive) to the entity it names.
 * @throws TodoError `NOT_FOUND` when nothing matches, `AMBIGUOUS_ID` when more than one does
 */
export function resolveId<T extends { readonly id: string }>(items: readonly T[], typed: string, what = "todo"): T {
  const prefix = typed.trim().toLowerCase();
  if (prefix === "") throw new TodoError(TodoErrorCode.InvalidInput, `an empty ${what} id`);
  const exact = items.find((item) => item.id === prefix);
  if (exact) return exact;
  const matches = items.filter((item) => item.id.startsWith(prefix));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new TodoError(TodoErrorCode.NotFound, `no ${what} with id "${typed}"`);
  const short = shortIds(items.map((item) => item.id));
  const listed = matches.map((item) => short.get(item.id) ?? item.id).sort().slice(0, 5);
  const more = matches.length > listed.length ? `, … (${matches.length} in all)` : "";
  throw new TodoError(
    TodoErrorCode.AmbiguousId,
    `id "${typed}" is ambiguous: it matches ${listed.join(", ")}${more}; type more characters`,
  );
}
