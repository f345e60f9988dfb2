/** What `orderBy` accepts: a field of the entity or a function returning the sort key. */
export type KeySelector<T> = keyof T | ((entity: T) => unknown);

/** Sort direction. @default "asc" */
export type SortDirection = "asc" | "desc";

/**
 * Compares two strings by Unicode code point, the order of PostgreSQL's "C"
 * collation (and of UTF-8 bytes). JavaScript's `<` compares UTF-16 code
 * units, which puts U+E000–U+FFFF (e.g. "～") after the astral characters
 * (e.g. "😀"); the two agree everywhere else.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length < b.length ? -1 : 1;
  let x = a.charCodeAt(i);
  let y = b.charCodeAt(i);
  // Surrogates (D800–DFFF) stand for code points above FFFF: move them past E000–FFFF.
  if (x >= 0xd800 && y >= 0xd800) {
    x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
  }
  return x < y ? -1 : 1;
}

/** The class of a sort key: numbers (and Dates, by time) < NaN < strings < booleans < other values < null/undefined. */
function rankOf(v: unknown): number {
  switch (typeof v) {
    case "number":
      return v === v ? 0 : 1;
    case "bigint":
      return 0;
    case "string":
      return 2;
    case "boolean":
      return 3;
    case "undefined":
      return 5;
    case "object":
      if (v === null) return 5;
      if (v instanceof Date) return v.getTime() === v.getTime() ? 0 : 1;
      return 4;
    default:
      return 4;
  }
}

/**
 * Compares two sort keys, a total order across every kind of value:
 * numbers, bigints and Dates (by time) numerically, then `NaN` (and invalid
 * Dates), then strings by Unicode code point, then booleans (`false` first),
 * then any other value (all tied), then `null`/`undefined`. The one ordering
 * of the store: `collection.orderBy` and live views share it.
 */
export function compareKeys(a: unknown, b: unknown): number {
  if (a === b) return 0;
  const ta = typeof a;
  if (ta === typeof b) {
    if (ta === "string") return compareStrings(a as string, b as string);
    if (ta === "number") {
      if ((a as number) < (b as number)) return -1;
      if ((a as number) > (b as number)) return 1;
      // Equal (0 and -0) or at least one NaN.
    }
  }
  const ra = rankOf(a);
  const rb = rankOf(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0: {
      const x = a instanceof Date ? a.getTime() : (a as number | bigint);
      const y = b instanceof Date ? b.getTime() : (b as number | bigint);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 2:
      return compareStrings(a as string, b as string);
    case 3:
      return a === b ? 0 : a === false ? -1 : 1;
    default:
      return 0;
  }
}

/** Turns a key selector into a function. */
export function selectorOf<T>(key: KeySelector<T>): (entity: T) => unknown {
  if (typeof key === "function") return key as (entity: T) => unknown;
  return (entity: T) => entity[key];
}
