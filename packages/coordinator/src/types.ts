/** The coordinator's types, named as in the specification (spec/optimistic-sync-coordinator.md). */
import type { Patch } from "./json-patch";

/** Identifies one state atom (one document the patches apply to), e.g. `"todo/t1"`. */
export type AtomKey = string | symbol;

/** A mutation sent to the server and not yet settled by a delta. */
export type PendingMutation<TInfo = any> = {
  /** From `generateClientSeq()`; pending mutations are ordered by it. */
  clientSeq: number;
  /** Metadata about the mutation (its name and arguments, say); the coordinator never reads it. */
  mutationInfo: TInfo;
  /** The patches applied optimistically, per atom, in the order they were applied. */
  optimisticPatches: Map<AtomKey, Patch[]>;
  /**
   * Per atom, the patches that undo `optimisticPatches` on the state they
   * produced (immer's inverse patches, or `computeInversePatch`). Kept current
   * by the coordinator when it re-applies the mutation on a new base.
   */
  inversePatches: Map<AtomKey, Patch[]>;
};

/** The registration given to `registerPendingMutation`. */
export type PendingMutationInput<TInfo = any> = {
  clientSeq: number;
  mutationInfo: TInfo;
  optimisticPatches: Map<AtomKey, Patch[]>;
  /**
   * The inverse of `optimisticPatches` per atom (decided by the issue: a
   * coordinator without application state cannot know what a patch
   * replaced). When absent the coordinator computes it through the
   * `readState` option, if given, from the state *before* the patches; without
   * either, a rollback of this mutation leaves in-place owners to recompute.
   */
  inversePatches?: Map<AtomKey, Patch[]>;
};

/** A delta from the server. */
export type ServerDeltaMessage<TData = any> = {
  /**
   * The delta payload. The shipped strategies take per-atom JSON Patches:
   * a `Map<AtomKey, Patch[]>` or a plain object `{ [atom]: Patch[] }`.
   */
  data: TData;
  /** This delta's server sequence number (an integer). */
  serverSeq: number;
  /** The sequence number this delta follows; when given, ordering is strict (gaps are held). */
  prevServerSeq?: number;
  /**
   * Optional: the delta includes the effects of every mutation with a
   * `clientSeq` up to this one (Replicache's `lastMutationID`); they are
   * settled with it. Mutations confirmed before the delta arrived are always
   * taken to be included.
   */
  confirmedClientSeq?: number;
};

/** Receives the resolved delta, to apply to the confirmed state. */
export type ApplyDeltaCallback = (resolvedDelta: any) => void;

/** What a rollback is about (second argument of `RollbackCallback`). */
export type RollbackInfo = {
  readonly clientSeq: number;
  readonly mutationInfo: unknown;
  /** The error given to `rejectMutation`, if any. */
  readonly error: unknown;
};

/**
 * Receives, per atom, the patches that turn the current optimistic state into
 * the confirmed state plus the remaining pending mutations in order.
 */
export type RollbackCallback = (inversePatches: Map<AtomKey, Patch[]>, info: RollbackInfo) => void;

/** Says the optimistic state should be recomputed (pending queue or confirmed sequence changed). */
export type StateChangeCallback = () => void;

/** Receives, per atom, the patches that move an in-place optimistic state onto a new server delta. */
export type RebaseCallback = (patches: Map<AtomKey, Patch[]>) => void;

/** Why a resync is requested. */
export type ResyncRequest = {
  /** The last server sequence number applied. */
  readonly confirmedServerSeq: number;
  /** Sequence numbers of the deltas held back waiting for the missing ones. */
  readonly heldServerSeqs: readonly number[];
  /** `"gap"`: a gap did not fill in time or too many deltas are held; `"overlap"`: a delta starts before the confirmed sequence; `"delta-failed"`: a delta did not apply. */
  readonly reason: "gap" | "overlap" | "delta-failed";
};

/** Asks the owner for a full state; answer with `resetServerSeq(serverSeq)` once applied. */
export type ResyncCallback = (request: ResyncRequest) => void;

/** Resolves conflicts between a server delta and the pending mutations. */
export interface ConflictResolutionStrategy<TDelta = any, TResolved = any> {
  /**
   * @param serverDelta The incoming delta (`ServerDeltaMessage.data`).
   * @param pendingPatches Patches of the mutations not settled by this delta, per atom, in order.
   * @returns The resolved delta to apply to the confirmed state.
   */
  resolve(serverDelta: TDelta, pendingPatches: Map<AtomKey, Patch[]>): TResolved;
  /**
   * Optional: rewrites one pending mutation's patches so they sit on top of
   * the resolved delta (drop what the server overrides, merge fields). Called
   * once per pending mutation, oldest first. Without it pending patches are
   * kept as they are (re-applied on top of the delta).
   */
  rebasePending?(resolvedDelta: TResolved, optimisticPatches: Map<AtomKey, Patch[]>, mutation: Readonly<PendingMutation>): Map<AtomKey, Patch[]>;
}
