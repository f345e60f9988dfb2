/**
 * How JSON values are stored in PostgreSQL `jsonb`, which refuses the
 * character U+0000 (`\u0000`, SQLSTATE 22P05) and lone surrogates (22P02).
 *
 * The stored form of a string is the string itself unless it contains
 * U+0000 or the escape character U+FDD0 (a Unicode *noncharacter*, reserved
 * for internal use and never assigned to text). Those two are written as
 * two characters each:
 *
 *   U+0000 → U+FDD0 "0"        U+FDD0 → U+FDD0 U+FDD0
 *
 * The mapping is applied to every string value *and* every object key, and
 * undone on every read, so entities come back exactly as written. Strings
 * without either character (practically all of them) are stored unchanged:
 * `find()` compares and orders them in SQL as usual, and `find()` encodes its
 * own values the same way, so equality matches every string. Only a string
 * holding U+0000 or U+FDD0 orders (in `find()` ranges and `orderBy`) by its
 * stored form. Your own SQL over `kalphite_entities` sees the stored form.
 *
 * Lone surrogates (a UTF-16 half without its pair) and `bigint`s cannot be
 * stored at all: they are refused with a `ValidationError` naming the path.
 * The store refuses them at write time already; this is the last line.
 */

/** The escape character of the stored form: U+FDD0, a Unicode noncharacter. */
export const ESCAPE = "\uFDD0";

const NEEDS_ESCAPE = /[\u0000\uFDD0]/;
const ESCAPABLE = /[\u0000\uFDD0]/g;
const ESCAPED = /\uFDD0([0\uFDD0])/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// What JSON.stringify writes for U+0000 and for a lone surrogate, or a
// backslash-escaped look-alike (a false alarm only costs the slow path).
const SUSPECT_JSON = /\\u0000|\\ud[89a-f]|\uFDD0/i;

/** The stored form of one string. */
export function encodeString(text: string): string {
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPABLE, (c) => (c === "\u0000" ? `${ESCAPE}0` : ESCAPE + ESCAPE)) : text;
}

/** A stored string back in its original form. */
export function decodeString(text: string): string {
  return text.includes(ESCAPE) ? text.replace(ESCAPED, (_, c: string) => (c === "0" ? "\u0000" : ESCAPE)) : text;
}

/** Why a value cannot be stored, and where (property keys from the value's root). */
export class UnstorableValue extends Error {
  readonly path: readonly PropertyKey[];
  constructor(message: string, path: readonly PropertyKey[]) {
    super(message);
    this.name = "UnstorableValue";
    this.path = path;
  }
}

function encodeValue(value: unknown, path: PropertyKey[], ancestors: Set<object>): unknown {
  if (typeof value === "string") {
    if (LONE_SURROGATE.test(value)) throw new UnstorableValue("a string holding a lone surrogate (half of a UTF-16 pair) cannot be stored", [...path]);
    return encodeString(value);
  }
  if (typeof value === "bigint") throw new UnstorableValue("a bigint cannot be stored as JSON (use a number or a string)", [...path]);
  if (typeof value !== "object" || value === null) return value;
  if (ancestors.has(value)) throw new UnstorableValue("a circular reference cannot be stored as JSON", [...path]);
  const json = (value as { toJSON?: unknown }).toJSON;
  if (typeof json === "function") return encodeValue((json as () => unknown).call(value), path, ancestors);
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      return value.map((item, i) => {
        path.push(i);
        try {
          return encodeValue(item, path, ancestors);
        } finally {
          path.pop();
        }
      });
    }
    const entries: [string, unknown][] = [];
    for (const key of Object.keys(value)) {
      if (LONE_SURROGATE.test(key)) throw new UnstorableValue("a property name holding a lone surrogate cannot be stored", [...path, key]);
      path.push(key);
      try {
        entries.push([encodeString(key), encodeValue((value as Record<string, unknown>)[key], path, ancestors)]);
      } finally {
        path.pop();
      }
    }
    return Object.fromEntries(entries); // defines "__proto__" as an own key, as JSON.parse does
  } finally {
    ancestors.delete(value);
  }
}

/** `value` in its stored form (a copy when anything changed). @throws UnstorableValue */
export function encodeJson(value: unknown): unknown {
  return encodeValue(value, [], new Set());
}

function decodeValue(value: unknown): unknown {
  if (typeof value === "string") return decodeString(value);
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = decodeValue(value[i]);
    return value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (!keys.some((key) => key.includes(ESCAPE))) {
    for (const key of keys) record[key] = decodeValue(record[key]);
    return record;
  }
  return Object.fromEntries(keys.map((key) => [decodeString(key), decodeValue(record[key])]));
}

/**
 * The JSON text of `values` in stored form. The common case costs one
 * `JSON.stringify` and a scan of its output; only a payload that may hold
 * U+0000, U+FDD0, a lone surrogate or a bigint is walked.
 * @param onUnstorable called with the index of each value that cannot be
 *   stored; when it returns, that value is left out of the output.
 * @throws UnstorableValue (from `onUnstorable`, or when it is not given)
 */
export function stringifyStored(values: readonly unknown[], onUnstorable?: (index: number, error: UnstorableValue) => void): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(values);
  } catch {
    text = undefined; // a bigint or a cycle somewhere: find it below
  }
  if (text !== undefined && !SUSPECT_JSON.test(text)) return text;
  const out: unknown[] = [];
  for (let i = 0; i < values.length; i++) {
    try {
      out.push(encodeJson(values[i]));
    } catch (error) {
      if (!(error instanceof UnstorableValue) || onUnstorable === undefined) throw error;
      onUnstorable(i, error);
    }
  }
  return JSON.stringify(out);
}

/** The JSON text of one value in stored form (for a query parameter). @throws UnstorableValue */
export function stringifyStoredValue(value: unknown): string {
  const text = JSON.stringify(value);
  return SUSPECT_JSON.test(text) ? JSON.stringify(encodeJson(value)) : text;
}

/** Parses stored JSON text back into original values. */
export function parseStored<T>(text: string): T {
  const value = JSON.parse(text) as unknown;
  return (text.includes(ESCAPE) ? decodeValue(value) : value) as T;
}

/** A value PGlite already parsed from a stored `jsonb`, back in its original form (in place when possible). */
export function decodeParsed<T>(value: T): T {
  return decodeValue(value) as T;
}
