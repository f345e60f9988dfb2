import type { MutationMetadata, MutationType, PendingMutation, TransactionChanges } from "./types";

/** The metadata of `mutation` (set by this library). */
export function metadataOf(mutation: PendingMutation): MutationMetadata {
  const meta = mutation.metadata as Partial<MutationMetadata> | null | undefined;
  const type: MutationType = meta?.type === "insert" || meta?.type === "delete" ? meta.type : "update";
  const out: MutationMetadata = { type, collection: typeof meta?.collection === "string" ? meta.collection : "" };
  if (Array.isArray(meta?.removed)) out.removed = meta.removed;
  return out;
}

/** The id of the object `mutation` touches. */
export const objectId = (mutation: PendingMutation): string => String(mutation.modified["id"]);

/**
 * `current` with `mutation` applied: an insert gives its item, an update sets
 * its fields on the current item (an update of an absent item leaves it
 * absent), a delete gives `undefined`.
 */
export function applyMutation<T>(current: T | undefined, mutation: PendingMutation): T | undefined {
  const { type, removed } = metadataOf(mutation);
  if (type === "delete") return undefined;
  if (type === "insert") return { ...mutation.changes } as T;
  if (current === undefined) return undefined;
  const next: Record<string, unknown> = { ...(current as Record<string, unknown>), ...mutation.changes };
  if (removed !== undefined) for (const key of removed) delete next[key];
  return next as T;
}

/** The merged changes of `mutations` by object id (`null` for a deletion), as `persist` receives them. */
export function changesOf(mutations: readonly PendingMutation[]): TransactionChanges {
  const out: TransactionChanges = {};
  for (const mutation of mutations) {
    const id = objectId(mutation);
    const { type, removed } = metadataOf(mutation);
    if (type === "delete") out[id] = null;
    else if (type === "insert") out[id] = { ...mutation.changes };
    else {
      const merged: Record<string, unknown> = { ...(out[id] ?? {}), ...mutation.changes };
      if (removed !== undefined) for (const key of removed) delete merged[key];
      out[id] = merged;
    }
  }
  return out;
}
