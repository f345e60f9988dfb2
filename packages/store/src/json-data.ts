import type { ValidationIssue } from "./errors";

/**
 * The rules of what an entity may hold: JSON data, the values that survive
 * storage and the wire unchanged.
 *
 * - `null`, booleans, finite numbers, strings, arrays, plain objects
 *   (prototype `Object.prototype` or `null`).
 * - Strings (values and keys) must be well-formed UTF-16: a lone surrogate
 *   has no UTF-8 encoding. `"\u0000"` is allowed.
 * - Refused: `undefined` inside an array (and holes), `NaN`/`±Infinity`,
 *   `bigint`, symbols, functions, `Date`, `Map`, `Set`, class instances and
 *   any other non-plain object, symbol-keyed properties, cycles.
 * - An object property whose value is `undefined` is left out, as
 *   `JSON.stringify` does.
 */

const isWellFormed: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === "function"
    ? (s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

const objectProto = Object.prototype;
const arrayProto = Array.prototype;
const hasOwn = Object.prototype.hasOwnProperty;

/** Deeper than this, the fast path hands over to the walker (which detects cycles). */
const FAST_DEPTH = 64;

/**
 * Checks that `value` is JSON data, in one walk; returns it (the same object
 * when nothing had to change, else a copy without its `undefined`-valued
 * properties), frozen all the way down when `freeze` is set, or the issues.
 *
 * The common case (valid, nothing to leave out) takes one walk that
 * allocates nothing; only a value that needs a copy or has an issue is
 * walked again, with paths, to build them.
 */
export function checkJsonData(value: unknown, freeze: boolean): { value: unknown; issues?: undefined } | { value?: undefined; issues: ValidationIssue[] } {
  if (isPlainJson(value, freeze, 0)) return { value };
  return walkJsonData(value, freeze);
}

/**
 * `checkJsonData` for the write path: true when `value` is JSON data that
 * needs no copy (frozen when `freeze` is set); then nothing was allocated.
 * Otherwise call `checkJsonData` for the copy or the issues.
 */
export function isJsonData(value: unknown, freeze: boolean): boolean {
  return isPlainJson(value, freeze, 0);
}

function walkJsonData(value: unknown, freeze: boolean): { value: unknown; issues?: undefined } | { value?: undefined; issues: ValidationIssue[] } {
  const walker = new Walker(freeze);
  const out = walker.walk(value, 0);
  return walker.issues === undefined ? { value: out } : { issues: walker.issues };
}

/** True when `value` is JSON data with no `undefined` property to leave out (freezing what it checked). */
function isPlainJson(value: unknown, freeze: boolean, depth: number): boolean {
  switch (typeof value) {
    case "string":
      return isWellFormed(value);
    case "number":
      return value - value === 0; // finite: NaN and ±Infinity give NaN
    case "boolean":
      return true;
    case "object": {
      if (value === null) return true;
      if (depth > FAST_DEPTH) return false;
      const proto = Object.getPrototypeOf(value) as object | null;
      if (proto === arrayProto) {
        const a = value as unknown[];
        for (let i = 0; i < a.length; i++) {
          const item = a[i];
          if (item === undefined || !isPlainJson(item, freeze, depth + 1)) return false;
        }
      } else if (proto === objectProto || proto === null) {
        const o = value as Record<string, unknown>;
        for (const key in o) {
          if (!hasOwn.call(o, key)) continue;
          const item = o[key];
          if (item === undefined || !isWellFormed(key) || !isPlainJson(item, freeze, depth + 1)) return false;
        }
        if (Object.getOwnPropertySymbols(o).length > 0) return false;
      } else {
        return false;
      }
      if (freeze) Object.freeze(value);
      return true;
    }
    default:
      return false;
  }
}

class Walker {
  issues: ValidationIssue[] | undefined;
  readonly #freeze: boolean;
  readonly #path: PropertyKey[] = [];
  readonly #ancestors: object[] = [];

  constructor(freeze: boolean) {
    this.#freeze = freeze;
  }

  #issue(message: string, key?: PropertyKey): void {
    const path = key === undefined ? this.#path.slice() : [...this.#path, key];
    (this.issues ??= []).push({ message, path });
  }

  walk(value: unknown, depth: number): unknown {
    switch (typeof value) {
      case "string":
        if (!isWellFormed(value)) this.#issue("a string holding a lone surrogate (not well-formed UTF-16) is not JSON data");
        return value;
      case "number":
        if (!Number.isFinite(value)) this.#issue(`${String(value)} is not JSON data (numbers must be finite)`);
        return value;
      case "boolean":
        return value;
      case "object":
        if (value === null) return value;
        return this.#container(value, depth);
      case "undefined":
        this.#issue("undefined is not JSON data");
        return value;
      case "bigint":
        this.#issue("a bigint is not JSON data (store it as a string or a number)");
        return value;
      case "symbol":
        this.#issue("a symbol is not JSON data");
        return value;
      case "function":
        this.#issue("a function is not JSON data");
        return value;
      default:
        this.#issue(`${typeof value} is not JSON data`);
        return value;
    }
  }

  #container(value: object, depth: number): unknown {
    const ancestors = this.#ancestors;
    if (depth > 0 && ancestors.includes(value)) {
      this.#issue("a cycle (an object containing itself) is not JSON data");
      return value;
    }
    const proto = Object.getPrototypeOf(value) as object | null;
    const path = this.#path;
    ancestors.push(value);
    let out: unknown = value;
    if (Array.isArray(value)) {
      if (proto !== arrayProto) this.#issue("an Array subclass is not JSON data");
      const a = value as unknown[];
      for (let i = 0; i < a.length; i++) {
        const item = a[i];
        if (item === undefined) {
          this.#issue(i in a ? "undefined inside an array is not JSON data (use null)" : "a hole in an array is not JSON data", i);
          continue;
        }
        path.push(i);
        const checked = this.walk(item, depth + 1);
        path.pop();
        if (checked !== item) {
          if (out === value) out = a.slice();
          (out as unknown[])[i] = checked;
        }
      }
    } else if (proto !== objectProto && proto !== null) {
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      this.#issue(`${typeof name === "string" && name !== "" ? `a ${name}` : "an object with a prototype"} is not JSON data (only plain objects, arrays, strings, finite numbers, booleans and null)`);
      ancestors.pop();
      return value; // refused: not walked, not frozen
    } else {
      const o = value as Record<string, unknown>;
      for (const key in o) {
        if (!hasOwn.call(o, key)) continue;
        if (!isWellFormed(key)) this.#issue("a key holding a lone surrogate (not well-formed UTF-16) is not JSON data", key);
        const item = o[key];
        if (item === undefined) {
          // Left out, as JSON.stringify does.
          if (out === value) out = copyWithout(o);
          continue;
        }
        path.push(key);
        const checked = this.walk(item, depth + 1);
        path.pop();
        if (checked !== item) {
          if (out === value) out = copyWithout(o);
          setOwn(out as Record<string, unknown>, key, checked);
        }
      }
      if (Object.getOwnPropertySymbols(o).length > 0) this.#issue("a symbol-keyed property is not JSON data");
    }
    ancestors.pop();
    if (this.#freeze && !Object.isFrozen(out)) Object.freeze(out);
    return out;
  }
}

/** A copy of `o` without its `undefined`-valued properties. */
function copyWithout(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = Object.getPrototypeOf(o) === null ? Object.create(null) : {};
  for (const key in o) {
    if (!hasOwn.call(o, key)) continue;
    const v = o[key];
    if (v !== undefined) setOwn(out, key, v);
  }
  return out;
}

function setOwn(o: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
  else o[key] = value;
}
