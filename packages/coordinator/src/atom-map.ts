import { CoordinatorError, CoordinatorErrorCode } from "./errors";
import type { Patch } from "./json-patch";
import type { AtomKey } from "./types";

/**
 * Per-atom patches given as a `Map<AtomKey, Patch[]>` or a plain object
 * `{ [atom]: Patch[] }`, as a Map; `undefined` when `value` is neither.
 */
export function toAtomPatches(value: unknown): Map<AtomKey, Patch[]> | undefined {
  if (value instanceof Map) {
    for (const patches of value.values()) if (!Array.isArray(patches)) return undefined;
    return value as Map<AtomKey, Patch[]>;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const out = new Map<AtomKey, Patch[]>();
  for (const key of Reflect.ownKeys(value)) {
    const patches = (value as Record<AtomKey, unknown>)[key];
    if (!Array.isArray(patches)) return undefined;
    out.set(key, patches as Patch[]);
  }
  return out;
}

/** `toAtomPatches` that throws a clear `INVALID_DELTA` error. */
export function requireAtomPatches(value: unknown, what: string): Map<AtomKey, Patch[]> {
  const map = toAtomPatches(value);
  if (!map) {
    throw new CoordinatorError(
      CoordinatorErrorCode.InvalidDelta,
      `${what} must be per-atom JSON Patches: a Map<AtomKey, Patch[]> or an object { [atom]: Patch[] }`,
    );
  }
  return map;
}

/** Appends `patches` to `target`'s list for `atom`. */
export function appendPatches(target: Map<AtomKey, Patch[]>, atom: AtomKey, patches: readonly Patch[]): void {
  if (patches.length === 0) return;
  const list = target.get(atom);
  if (list) list.push(...patches);
  else target.set(atom, [...patches]);
}
