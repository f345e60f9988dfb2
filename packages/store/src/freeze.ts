/**
 * Freezes a value and every object or array inside it, so in-place mutation
 * of stored state throws. Nested objects are frozen even when the root (or a
 * subtree) is frozen already; cycles are followed once.
 */
export function deepFreeze<T>(value: T): T {
  freeze(value, undefined);
  return value;
}

function freeze(value: unknown, seen: Set<object> | undefined): Set<object> | undefined {
  if (typeof value !== "object" || value === null) return seen;
  if (Object.isFrozen(value)) {
    // Frozen before this call (by someone else) or earlier in it: visit once, for its children.
    seen ??= new Set();
    if (seen.has(value)) return seen;
    seen.add(value);
  } else {
    Object.freeze(value);
  }
  if (Array.isArray(value)) {
    for (const item of value) seen = freeze(item, seen);
  } else {
    for (const key of Object.keys(value)) seen = freeze((value as Record<string, unknown>)[key], seen);
  }
  return seen;
}
