/** Test helper: an in-place state owner (a Map of atom documents) wired to a coordinator. */
import { createOptimisticSyncCoordinator, type OptimisticSyncCoordinatorOptions } from "./coordinator";
import { applyPatch, applyPatchWithInverse, type Patch } from "./json-patch";
import type { AtomKey } from "./types";

export function inPlaceOwner(initial: Record<string, unknown>, options: OptimisticSyncCoordinatorOptions & { withReadState?: boolean } = {}) {
  const state = new Map<AtomKey, unknown>(Object.entries(initial));
  const { withReadState = true, ...rest } = options;
  const coordinator = createOptimisticSyncCoordinator({ ...(withReadState ? { readState: (atom: AtomKey) => state.get(atom) } : {}), ...rest });
  const apply = (patches: Map<AtomKey, Patch[]>) => {
    for (const [atom, p] of patches) state.set(atom, applyPatch(state.get(atom), p));
  };
  coordinator.onRollback(apply);
  coordinator.onRebase(apply);
  /** Applies the patches optimistically and registers them; returns the clientSeq. */
  const mutate = (patches: Record<string, Patch[]>, mutationInfo: unknown = {}) => {
    const clientSeq = coordinator.generateClientSeq();
    const optimisticPatches = new Map<AtomKey, Patch[]>(Object.entries(patches));
    const inversePatches = new Map<AtomKey, Patch[]>();
    for (const [atom, p] of optimisticPatches) {
      const result = applyPatchWithInverse(state.get(atom), p);
      state.set(atom, result.document);
      inversePatches.set(atom, result.inverse);
    }
    coordinator.registerPendingMutation({ clientSeq, mutationInfo, optimisticPatches, inversePatches });
    return clientSeq;
  };
  return { state, coordinator, mutate, view: (atom: string) => state.get(atom) };
}
