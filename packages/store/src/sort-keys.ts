/** What `orderBy` accepts: a field of the entity or a function returning the sort key. */
export type KeySelector<T> = keyof T | ((entity: T) => unknown);

/** Sort direction. @default "asc" */
export type SortDirection = "asc" | "desc";

/**
 * Compares two sort keys: numbers, bigints, strings (by code unit), booleans
 * and Dates in their natural order; `null`/`undefined` after everything else.
 * The one ordering of the store: `collection.orderBy` and live views share it.
 */
export function compareKeys(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return b === undefined || b === null ? 0 : 1;
  if (b === undefined || b === null) return -1;
  const x = a instanceof Date ? a.getTime() : a;
  const y = b instanceof Date ? b.getTime() : b;
  return (x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0;
}

/** Turns a key selector into a function. */
export function selectorOf<T>(key: KeySelector<T>): (entity: T) => unknown {
  if (typeof key === "function") return key as (entity: T) => unknown;
  return (entity: T) => entity[key];
}
