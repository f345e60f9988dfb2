import { TransactionsError, TransactionsErrorCode } from "./errors";

/**
 * Throws `INVALID_ARGUMENT` naming the path when `value` would not come back
 * the same from storage (JSON): only plain objects, arrays, strings, finite
 * numbers, booleans and `null` are allowed.
 */
export function assertJson(value: unknown, what: string, path: string[] = []): void {
  const fail = (reason: string): never => {
    const at = path.length === 0 ? "" : ` at ${path.join(".")}`;
    throw new TransactionsError(TransactionsErrorCode.InvalidArgument, `${what}${at}: ${reason} (items must be JSON data)`);
  };
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) fail(`${value} is not a finite number`);
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (value[i] === undefined) fail(`undefined in an array`);
      assertJson(value[i], what, [...path, String(i)]);
    }
    return;
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) fail(`a ${proto?.constructor?.name ?? "non-plain"} object`);
    for (const [key, child] of Object.entries(value)) {
      if (child === undefined) continue; // dropped by JSON, like an absent key
      assertJson(child, what, [...path, key]);
    }
    return;
  }
  fail(`a ${typeof value}`);
}
