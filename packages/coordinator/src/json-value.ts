/** Small helpers for JSON values (plain objects, arrays, primitives). */

/** A plain object or an array. */
export type JsonContainer = Record<string, unknown> | unknown[];

export const isContainer = (value: unknown): value is JsonContainer => typeof value === "object" && value !== null;

export const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key);

/** Sets an own data property, also for keys such as `__proto__` that plain assignment would treat specially. */
export function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  else object[key] = value;
}

/** A shallow copy of a container (own enumerable keys, `__proto__` included). */
export function shallowCopy<T extends JsonContainer>(value: T): T {
  if (Array.isArray(value)) return value.slice() as T;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) setOwn(copy, key, (value as Record<string, unknown>)[key]);
  return copy as T;
}

/** A deep copy of a JSON value. */
export function deepClone<T>(value: T): T {
  if (!isContainer(value)) return value;
  if (Array.isArray(value)) return value.map(deepClone) as T;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) setOwn(copy, key, deepClone((value as Record<string, unknown>)[key]));
  return copy as T;
}

/** JSON equality: same primitives, arrays element by element, objects with the same keys in any order. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!isContainer(a) || !isContainer(b)) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (!hasOwn(b, key) || !deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}
