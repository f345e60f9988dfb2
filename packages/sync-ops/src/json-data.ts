// A lone surrogate or NUL survives JSON.stringify as an escape PostgreSQL's jsonb refuses.
const UNSTORABLE = /(?:^|[^\\])(?:\\\\)*\\u(?:d[89a-f][0-9a-f]{2}|0000)/i;

/**
 * Checks that `value` is JSON data PostgreSQL can store and returns a deep
 * copy of it (so a mutator changing its object later changes nothing).
 * Throws an `Error` naming the problem otherwise.
 */
export function toStorableJson(value: unknown, what: string): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === "number" && !Number.isFinite(v)) throw new Error(`${what}: ${String(v)} is not JSON data`);
      if (typeof v === "bigint" || typeof v === "function" || typeof v === "symbol") throw new Error(`${what}: a ${typeof v} is not JSON data`);
      return v;
    });
  } catch (error) {
    if (error instanceof Error && error.message.startsWith(what)) throw error;
    throw new Error(`${what}: not JSON data (${error instanceof Error ? error.message : String(error)})`);
  }
  if (text === undefined) throw new Error(`${what}: not JSON data`);
  if (UNSTORABLE.test(text)) throw new Error(`${what}: contains a NUL character or a lone UTF-16 surrogate, which PostgreSQL cannot store`);
  return JSON.parse(text);
}
