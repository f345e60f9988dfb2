/**
 * Freezes an entity and every plain object or array inside it, so in-place
 * mutation of stored state throws. Already-frozen subtrees are skipped, which
 * keeps re-freezing an immer result (itself frozen) cheap.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (const item of value) deepFreeze(item);
  } else {
    for (const key in value) {
      if (Object.prototype.hasOwnProperty.call(value, key)) deepFreeze((value as Record<string, unknown>)[key]);
    }
  }
  return value;
}
