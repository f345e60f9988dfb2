import { TransactionsError, TransactionsErrorCode } from "./errors";

type What = string | (() => string);

function refuse(what: What, path: readonly string[], reason: string): never {
  if (typeof what === "function") what = what();
  const at = path.length === 0 ? "" : ` at ${path.join(".")}`;
  throw new TransactionsError(TransactionsErrorCode.InvalidArgument, `${what}${at}: ${reason} (items must be JSON data)`);
}

function copy(value: unknown, what: What, path: string[]): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) refuse(what, path, `${value} is not a finite number`);
    return value;
  }
  if (typeof value !== "object") return refuse(what, path, `a ${typeof value}`);
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      if (value[i] === undefined) refuse(what, path, "undefined in an array");
      path.push(String(i));
      out[i] = copy(value[i], what, path);
      path.pop();
    }
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) refuse(what, path, `a ${proto?.constructor?.name ?? "non-plain"} object`);
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    const child = (value as Record<string, unknown>)[key];
    if (child === undefined) continue; // dropped, as JSON drops it
    path.push(key);
    out[key] = copy(child, what, path);
    path.pop();
  }
  return out;
}

/**
 * A deep copy of `value` that would come back the same from storage (JSON):
 * only plain objects, arrays, strings, finite numbers, booleans and `null`
 * are allowed (keys whose value is `undefined` are dropped). Anything else
 * throws `INVALID_ARGUMENT` naming the path; `what` (or what it returns) starts the message.
 */
export function copyJson<T>(value: T, what: string | (() => string)): T {
  return copy(value, what, []) as T;
}
