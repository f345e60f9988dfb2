/**
 * The shipped conflict strategies. Each takes the delta as per-atom JSON
 * Patches (a `Map<AtomKey, Patch[]>` or `{ [atom]: Patch[] }`), resolves it
 * to a `Map<AtomKey, Patch[]>` for the confirmed state, and says how the
 * pending mutations sit on top of it. Conflicts are judged by path: two
 * operations conflict when one's path is the other's or an ancestor of it.
 */
import { requireAtomPatches } from "./atom-map";
import { CoordinatorError, CoordinatorErrorCode } from "./errors";
import { applyPatch, validatePatch, type Patch } from "./json-patch";
import { isPointerPrefix } from "./json-pointer";
import type { AtomKey, ConflictResolutionStrategy, PendingMutation } from "./types";

/** A strategy over JSON Patch deltas: per atom, or one bare `Patch[]` (for a single-atom owner; it is compared with every atom's pending patches). */
export type PatchConflictStrategy = ConflictResolutionStrategy<Map<AtomKey, Patch[]> | Record<string, Patch[]> | Patch[], Map<AtomKey, Patch[]> | Patch[]>;

/** The delta as given: a bare patch stays a bare patch, anything else must be per-atom patches. */
function resolveDelta(serverDelta: unknown, who: string): Map<AtomKey, Patch[]> | Patch[] {
  if (Array.isArray(serverDelta)) {
    validatePatch(serverDelta);
    return serverDelta;
  }
  return requireAtomPatches(serverDelta, `${who}: the delta`);
}

/** Paths an operation writes (`test` writes none). */
function writes(op: Patch): string[] {
  switch (op.op) {
    case "move":
      return [op.path, op.from!];
    case "test":
      return [];
    default:
      return [op.path];
  }
}

const overlaps = (a: string, b: string) => isPointerPrefix(a, b) || isPointerPrefix(b, a);

function mapPending(
  resolved: Map<AtomKey, Patch[]> | Patch[],
  pending: Map<AtomKey, Patch[]>,
  rewrite: (op: Patch, delta: readonly Patch[]) => Patch | undefined,
): Map<AtomKey, Patch[]> {
  const out = new Map<AtomKey, Patch[]>();
  for (const [atom, patches] of pending) {
    const delta = Array.isArray(resolved) ? resolved : resolved.get(atom);
    if (!delta || delta.length === 0) {
      out.set(atom, patches);
      continue;
    }
    const kept: Patch[] = [];
    for (const op of patches) {
      const next = rewrite(op, delta);
      if (next) kept.push(next);
    }
    if (kept.length > 0) out.set(atom, kept);
  }
  return out;
}

/**
 * Server wins: the delta is applied as it is, and every pending operation
 * that writes a path the delta writes (the same path, an ancestor or a
 * descendant) is dropped, so the server's value shows. The mutations stay
 * pending for the server's verdict.
 */
export const serverWins: PatchConflictStrategy = {
  resolve: (serverDelta) => resolveDelta(serverDelta, "serverWins"),
  rebasePending: (resolved, pending) =>
    mapPending(resolved, pending, (op, delta) => {
      const mine = writes(op);
      return delta.some((d) => writes(d).some((w) => mine.some((m) => overlaps(w, m)))) ? undefined : op;
    }),
};

/**
 * Client wins: the delta is applied to the confirmed state and every pending
 * mutation is rebased on top of it unchanged, so the client's pending values
 * show until the server settles them.
 */
export const clientWins: PatchConflictStrategy = {
  resolve: (serverDelta) => resolveDelta(serverDelta, "clientWins"),
};

/**
 * Field-level merge: the server wins on the fields it wrote, the client on the
 * others. A pending write of exactly a path the delta writes is dropped; a
 * pending write of an object is kept with the delta's changes inside it merged
 * into its value; a pending write below an object the delta replaced is kept
 * (re-applied on top of the server's object).
 */
export const fieldLevelMerge: PatchConflictStrategy = {
  resolve: (serverDelta) => resolveDelta(serverDelta, "fieldLevelMerge"),
  rebasePending: (resolved, pending) =>
    mapPending(resolved, pending, (op, delta) => {
      const mine = writes(op);
      if (delta.some((d) => writes(d).some((w) => mine.includes(w)))) return undefined;
      if ((op.op !== "add" && op.op !== "replace") || typeof op.value !== "object" || op.value === null) return op;
      let value: unknown = op.value;
      for (const d of delta) {
        if (d.path === op.path || !isPointerPrefix(op.path, d.path)) continue;
        if (d.from !== undefined && !isPointerPrefix(op.path, d.from)) continue;
        const relative: Patch = { ...d, path: d.path.slice(op.path.length) };
        if (d.from !== undefined) relative.from = d.from.slice(op.path.length);
        try {
          value = applyPatch(value, [relative]);
        } catch {
          // The client's object has no room for this change: the client's value stands.
        }
      }
      return value === op.value ? op : { ...op, value };
    }),
};

/** What `customStrategy` takes: the two methods of `ConflictResolutionStrategy`. */
export interface CustomStrategyDefinition<TDelta = any, TResolved = any> {
  resolve(serverDelta: TDelta, pendingPatches: Map<AtomKey, Patch[]>): TResolved;
  rebasePending?(resolvedDelta: TResolved, optimisticPatches: Map<AtomKey, Patch[]>, mutation: Readonly<PendingMutation>): Map<AtomKey, Patch[]>;
}

/**
 * A strategy of your own: `resolve` turns the delta into what `onApplyDelta`
 * receives (return per-atom patches for in-place owners to get `onRebase`),
 * `rebasePending` optionally rewrites each pending mutation's patches.
 * Throws `INVALID_ARGUMENT` when they are not functions.
 */
export function customStrategy<TDelta = any, TResolved = any>(definition: CustomStrategyDefinition<TDelta, TResolved>): ConflictResolutionStrategy<TDelta, TResolved> {
  if (typeof definition?.resolve !== "function") throw new CoordinatorError(CoordinatorErrorCode.InvalidArgument, "customStrategy needs a resolve(serverDelta, pendingPatches) function");
  if (definition.rebasePending !== undefined && typeof definition.rebasePending !== "function") {
    throw new CoordinatorError(CoordinatorErrorCode.InvalidArgument, "customStrategy: rebasePending must be a function when given");
  }
  const strategy: ConflictResolutionStrategy<TDelta, TResolved> = { resolve: (delta, pending) => definition.resolve(delta, pending) };
  if (definition.rebasePending) {
    const rebase = definition.rebasePending;
    strategy.rebasePending = (resolved, patches, mutation) => rebase(resolved, patches, mutation);
  }
  return strategy;
}
