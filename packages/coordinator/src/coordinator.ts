/**
 * The optimistic sync coordinator: sequence numbers, the queue of pending
 * mutations with their optimistic and inverse JSON Patches, and the
 * turning of acknowledgements, rejections and server deltas into "apply
 * this" / "roll back that" callbacks. It holds no application state; it reads
 * it only through the optional `readState` hook.
 *
 * Two ways to own the state:
 * - recompute: keep the confirmed state, apply `onApplyDelta`'s resolved delta
 *   to it, and on `onStateChange` recompute optimistic = confirmed +
 *   `getPendingPatches()`;
 * - in place: keep only the optimistic state, apply `onRollback`'s and
 *   `onRebase`'s patches to it, and pass `readState` so the coordinator can
 *   re-apply later mutations on the new base and keep their inverse patches
 *   exact.
 *
 * Delta ordering:
 *
 *   serverSeq <= confirmed ─────────────────────────▶ ignored (duplicate)
 *   prevServerSeq absent or == confirmed ───────────▶ applied, then held deltas that follow are drained
 *   prevServerSeq  > confirmed ─────────────────────▶ held (gap) ── gapTimeoutMs / maxHeldDeltas ─▶ resync
 *   prevServerSeq  < confirmed < serverSeq ─────────▶ resync (overlap: cannot be applied)
 */
import { appendPatches, requireAtomPatches, toAtomPatches } from "./atom-map";
import { Emitter } from "./emitter";
import { CoordinatorError, CoordinatorErrorCode, PatchError } from "./errors";
import { applyPatch, applyPatchWithInverse, computeInversePatch, validatePatch, type Patch } from "./json-patch";
import type {
  ApplyDeltaCallback,
  AtomKey,
  ConflictResolutionStrategy,
  PendingMutation,
  PendingMutationInput,
  RebaseCallback,
  ResyncCallback,
  ResyncRequest,
  RollbackCallback,
  ServerDeltaMessage,
  StateChangeCallback,
} from "./types";

/** The specification's interface, plus what the issue decided (resync, rebase, reset). */
export interface OptimisticSyncCoordinator {
  /** The next client sequence number: unique, increasing (1, 2, 3… by default). */
  generateClientSeq(): number;
  /**
   * Queues a mutation sent to the server. `clientSeq` must be an integer above
   * every registered one; the patches are checked (`INVALID_ARGUMENT` /
   * `INVALID_PATCH`, nothing registered on error).
   */
  registerPendingMutation(data: PendingMutationInput): void;
  /** The server acknowledged the mutation: it leaves the pending queue; its effect stays until the next delta settles it. Unknown or settled `clientSeq`s are ignored. */
  confirmMutation(clientSeq: number): void;
  /**
   * The server refused the mutation: it is removed, and `onRollback` gets the
   * patches that turn the optimistic state into confirmed + remaining pending
   * mutations in order (then `onStateChange`). Unknown or settled `clientSeq`s are ignored.
   */
  rejectMutation(clientSeq: number, error?: any): void;
  /** Orders, resolves and applies a server delta (see the module comment for the ordering rules). */
  processServerDelta(deltaMessage: ServerDeltaMessage, conflictResolver: ConflictResolutionStrategy): void;
  /** Patches of every pending (unconfirmed) mutation, per atom, in `clientSeq` order; a fresh Map. */
  getPendingPatches(): Map<AtomKey, Patch[]>;
  onStateChange(callback: StateChangeCallback): () => void;
  onApplyDelta(callback: ApplyDeltaCallback): () => void;
  onRollback(callback: RollbackCallback): () => void;
  /** In-place owners (with `readState`): per-atom patches moving the optimistic state onto an applied delta or a reset. */
  onRebase(callback: RebaseCallback): () => void;
  /** A gap did not fill (or a delta could not be applied): fetch a full state and call `resetServerSeq`. */
  onResync(callback: ResyncCallback): () => void;
  /**
   * After the owner replaced its state with the server's full state at
   * `serverSeq` (without pending effects): confirmed mutations are settled,
   * held deltas at or below it dropped, the following ones drained; with
   * `readState`, pending mutations are re-applied through `onRebase`.
   */
  resetServerSeq(serverSeq: number): void;
  /** The last server sequence number applied. */
  getConfirmedServerSeq(): number;
  /** Pending (unconfirmed) mutations in order, as copies. */
  getPendingMutations(): PendingMutation[];
  /** Stops the gap timer and drops every listener and held delta. */
  dispose(): void;
}

/** Timer functions the coordinator uses (fake ones in tests). @default the globals */
export interface CoordinatorTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of `createOptimisticSyncCoordinator`; all optional. */
export interface OptimisticSyncCoordinatorOptions {
  /** The current (optimistic) value of an atom, for in-place owners; `undefined` when the atom does not exist. */
  readState?: (atom: AtomKey) => unknown;
  /** The confirmed server sequence to start from. @default 0 */
  initialServerSeq?: number;
  /** The first `generateClientSeq()` value. @default 1 */
  firstClientSeq?: number;
  /** How long a gap may stay open before `onResync` fires, in milliseconds. @default 5000 */
  gapTimeoutMs?: number;
  /** Held deltas beyond this many trigger `onResync` at once. @default 1000 */
  maxHeldDeltas?: number;
  /** @default globalThis.setTimeout / clearTimeout */
  timers?: CoordinatorTimers;
  /** Where a throwing listener's error (or a rollback that could not be computed) goes. @default console.error */
  onError?: (error: unknown) => void;
}

interface Entry {
  readonly clientSeq: number;
  readonly mutationInfo: unknown;
  patches: Map<AtomKey, Patch[]>;
  /** Per atom, the patches undoing this entry's effect where it sits now; absent = unknown. */
  inverse: Map<AtomKey, Patch[]>;
  confirmed: boolean;
}

interface Held {
  readonly message: ServerDeltaMessage;
  readonly strategy: ConflictResolutionStrategy;
}

type Events = {
  stateChange: StateChangeCallback;
  applyDelta: ApplyDeltaCallback;
  rollback: RollbackCallback;
  rebase: RebaseCallback;
  resync: ResyncCallback;
};

const isSeq = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n);

/** Creates a coordinator. See `OptimisticSyncCoordinatorOptions` for the defaults. */
export function createOptimisticSyncCoordinator(options: OptimisticSyncCoordinatorOptions = {}): OptimisticSyncCoordinator {
  const readState = options.readState;
  const gapTimeoutMs = options.gapTimeoutMs ?? 5000;
  const maxHeldDeltas = options.maxHeldDeltas ?? 1000;
  const timers: CoordinatorTimers = options.timers ?? {
    setTimeout: (cb, ms) => globalThis.setTimeout(cb, ms),
    clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
  };
  const reportError = options.onError ?? ((error: unknown) => console.error("[@kalphite/coordinator]", error));
  for (const [name, value] of [["initialServerSeq", options.initialServerSeq ?? 0], ["firstClientSeq", options.firstClientSeq ?? 1]] as const) {
    if (!isSeq(value)) throw new CoordinatorError(CoordinatorErrorCode.InvalidArgument, `${name} must be a safe integer, got ${String(value)}`);
  }
  if (!(gapTimeoutMs >= 0) || !(maxHeldDeltas >= 0)) throw new CoordinatorError(CoordinatorErrorCode.InvalidArgument, "gapTimeoutMs and maxHeldDeltas must be non-negative numbers");

  const events = new Emitter<Events>((error) => reportError(error));
  let nextClientSeq = options.firstClientSeq ?? 1;
  let lastRegistered = -Infinity;
  let confirmedServerSeq = options.initialServerSeq ?? 0;
  /** Every mutation not yet settled by a delta, in clientSeq order (confirmed ones stay until the next delta). */
  let entries: Entry[] = [];
  const held = new Map<number, Held>();
  let gapTimer: unknown;

  /** The unsettled entries by clientSeq (kept in step with `entries`). */
  const bySeq = new Map<number, Entry>();
  const indexOf = (clientSeq: number) => {
    const entry = bySeq.get(clientSeq);
    return entry === undefined ? -1 : entries.indexOf(entry);
  };
  const setEntries = (next: Entry[]) => {
    entries = next;
    bySeq.clear();
    for (const e of next) bySeq.set(e.clientSeq, e);
  };

  const checkAtomPatches = (value: unknown, what: string): Map<AtomKey, Patch[]> => {
    if (!(value instanceof Map)) throw new CoordinatorError(CoordinatorErrorCode.InvalidArgument, `${what} must be a Map<AtomKey, Patch[]>`);
    for (const [atom, patches] of value) {
      if (typeof atom !== "string" && typeof atom !== "symbol") throw new CoordinatorError(CoordinatorErrorCode.InvalidArgument, `${what}: an AtomKey must be a string or symbol, got ${typeof atom}`);
      validatePatch(patches);
    }
    return value as Map<AtomKey, Patch[]>;
  };

  /** Undoes entries from the tail down to `from` (inclusive) on `document` for `atom`; `undefined` if an inverse is unknown. */
  const undoChain = (atom: AtomKey, from: number, document: unknown, out: Patch[]): { document: unknown } | undefined => {
    let current = document;
    for (let i = entries.length - 1; i >= from; i--) {
      const entry = entries[i]!;
      if (!entry.patches.has(atom)) continue;
      const inverse = entry.inverse.get(atom);
      if (!inverse) return undefined;
      if (readState) current = applyPatch(current, inverse);
      out.push(...inverse);
    }
    return { document: current };
  };

  /** Re-applies `list`'s patches for `atom` on `document`, recording new inverses; a patch that no longer applies has no effect. */
  const redo = (atom: AtomKey, list: readonly Entry[], patchesOf: (e: Entry) => Patch[] | undefined, document: unknown, out: Patch[], inverses: Map<Entry, Patch[]>) => {
    let current = document;
    for (const entry of list) {
      const patches = patchesOf(entry);
      if (!patches) continue;
      if (!readState) {
        out.push(...patches);
        continue;
      }
      try {
        const result = applyPatchWithInverse(current, patches);
        current = result.document;
        inverses.set(entry, result.inverse);
        out.push(...patches);
      } catch (error) {
        if (!(error instanceof PatchError)) throw error;
        inverses.set(entry, []);
      }
    }
  };

  const emitResync = (reason: ResyncRequest["reason"]) => {
    events.emit("resync", { confirmedServerSeq, heldServerSeqs: [...held.values()].map((h) => h.message.serverSeq).sort((a, b) => a - b), reason });
  };

  const armGapTimer = () => {
    if (gapTimer !== undefined || held.size === 0) return;
    gapTimer = timers.setTimeout(() => {
      gapTimer = undefined;
      if (held.size > 0) emitResync("gap");
    }, gapTimeoutMs);
  };
  const clearGapTimer = () => {
    if (gapTimer === undefined) return;
    timers.clearTimeout(gapTimer);
    gapTimer = undefined;
  };

  /** Applies one in-order delta; throws `DELTA_FAILED` with nothing changed when it cannot. */
  const applyDelta = ({ message, strategy }: Held) => {
    const settles = (e: Entry) => (message.confirmedClientSeq !== undefined ? e.clientSeq <= message.confirmedClientSeq : e.confirmed);
    const remaining = entries.filter((e) => !settles(e));
    const pendingPatches = new Map<AtomKey, Patch[]>();
    for (const e of remaining) for (const [atom, patches] of e.patches) appendPatches(pendingPatches, atom, patches);

    let resolved: unknown;
    const rebased = new Map<Entry, Map<AtomKey, Patch[]>>();
    try {
      resolved = strategy.resolve(message.data, pendingPatches);
      for (const e of remaining) {
        const next = strategy.rebasePending ? strategy.rebasePending(resolved, e.patches, toPublic(e)) : e.patches;
        rebased.set(e, checkAtomPatches(next, "rebasePending's result"));
      }
    } catch (error) {
      throw new CoordinatorError(CoordinatorErrorCode.DeltaFailed, `delta ${message.serverSeq}: the conflict strategy failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    }

    // In place: undo every unsettled entry, apply the resolved delta, re-apply what remains.
    let rebase: Map<AtomKey, Patch[]> | undefined;
    const newInverses = new Map<Entry, Map<AtomKey, Patch[]>>();
    const resolvedMap = toAtomPatches(resolved);
    if (readState && resolvedMap) {
      rebase = new Map();
      const atoms = new Set<AtomKey>(resolvedMap.keys());
      for (const e of entries) for (const atom of e.patches.keys()) atoms.add(atom);
      for (const e of remaining) for (const atom of rebased.get(e)!.keys()) atoms.add(atom);
      try {
        for (const atom of atoms) {
          const out: Patch[] = [];
          const undone = undoChain(atom, 0, readState(atom), out);
          if (!undone) throw new CoordinatorError(CoordinatorErrorCode.DeltaFailed, `no inverse patches for atom ${String(atom)}`);
          const delta = resolvedMap.get(atom) ?? [];
          const base = applyPatch(undone.document, delta);
          out.push(...delta);
          const inverses = new Map<Entry, Patch[]>();
          redo(atom, remaining, (e) => rebased.get(e)!.get(atom), base, out, inverses);
          for (const [e, inv] of inverses) {
            let map = newInverses.get(e);
            if (!map) newInverses.set(e, (map = new Map()));
            map.set(atom, inv);
          }
          if (out.length > 0) rebase.set(atom, out);
        }
      } catch (error) {
        throw error instanceof CoordinatorError
          ? error
          : new CoordinatorError(CoordinatorErrorCode.DeltaFailed, `delta ${message.serverSeq} does not apply to the state: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      }
    }

    for (const e of remaining) {
      const next = rebased.get(e)!;
      if (next !== e.patches) {
        e.patches = next;
        // Without readState a rewritten mutation's old inverse no longer matches; keep only what is known.
        if (!readState) e.inverse = new Map();
      }
      const inv = newInverses.get(e);
      if (inv) for (const [atom, patches] of inv) e.inverse.set(atom, patches);
    }
    setEntries(remaining);
    confirmedServerSeq = message.serverSeq;
    events.emit("applyDelta", resolved);
    if (rebase && rebase.size > 0) events.emit("rebase", rebase);
    events.emit("stateChange");
  };

  const drain = () => {
    for (;;) {
      const next = held.get(confirmedServerSeq);
      if (!next) break;
      held.delete(confirmedServerSeq);
      if (next.message.serverSeq <= confirmedServerSeq) continue;
      try {
        applyDelta(next);
      } catch (error) {
        emitResync("delta-failed");
        throw error;
      }
    }
    for (const [prev, h] of held) if (h.message.serverSeq <= confirmedServerSeq || prev < confirmedServerSeq) held.delete(prev);
    clearGapTimer();
    armGapTimer();
  };

  const toPublic = (e: Entry): PendingMutation => ({
    clientSeq: e.clientSeq,
    mutationInfo: e.mutationInfo,
    optimisticPatches: new Map([...e.patches].map(([a, p]) => [a, [...p]])),
    inversePatches: new Map([...e.inverse].map(([a, p]) => [a, [...p]])),
  });

  return {
    generateClientSeq() {
      return nextClientSeq++;
    },

    registerPendingMutation(data) {
      if (typeof data !== "object" || data === null) throw new CoordinatorError(CoordinatorErrorCode.InvalidArgument, "registerPendingMutation needs { clientSeq, mutationInfo, optimisticPatches, inversePatches }");
      const { clientSeq, mutationInfo, optimisticPatches, inversePatches } = data;
      if (!isSeq(clientSeq)) throw new CoordinatorError(CoordinatorErrorCode.InvalidArgument, `clientSeq must be a safe integer, got ${String(clientSeq)}`);
      if (clientSeq <= lastRegistered) {
        throw new CoordinatorError(CoordinatorErrorCode.InvalidArgument, `clientSeq ${clientSeq} is not above the last registered one (${lastRegistered}); use generateClientSeq()`);
      }
      const patches = new Map(checkAtomPatches(optimisticPatches, "optimisticPatches"));
      let inverse: Map<AtomKey, Patch[]>;
      if (inversePatches !== undefined) {
        inverse = new Map(checkAtomPatches(inversePatches, "inversePatches"));
        for (const atom of inverse.keys()) {
          if (!patches.has(atom)) throw new CoordinatorError(CoordinatorErrorCode.InvalidArgument, `inversePatches has atom ${String(atom)} that optimisticPatches does not`);
        }
      } else {
        inverse = new Map();
        if (readState) for (const [atom, p] of patches) inverse.set(atom, computeInversePatch(readState(atom), p));
      }
      const entry: Entry = { clientSeq, mutationInfo, patches, inverse, confirmed: false };
      entries.push(entry);
      bySeq.set(clientSeq, entry);
      lastRegistered = clientSeq;
      if (clientSeq >= nextClientSeq) nextClientSeq = clientSeq + 1;
      events.emit("stateChange");
    },

    confirmMutation(clientSeq) {
      const entry = bySeq.get(clientSeq);
      if (!entry || entry.confirmed) return;
      entry.confirmed = true;
      // Confirmed entries stay for the undo chains of rollbacks and in-place rebases; without readState
      // none reaches back past the oldest pending mutation, so the confirmed ones before it can go.
      if (!readState) {
        while (entries.length > 0 && entries[0]!.confirmed) bySeq.delete(entries.shift()!.clientSeq);
      }
      events.emit("stateChange");
    },

    rejectMutation(clientSeq, error) {
      const index = indexOf(clientSeq);
      const entry = entries[index];
      if (!entry || entry.confirmed) return;
      const later = entries.slice(index + 1);
      const rollback = new Map<AtomKey, Patch[]>();
      const newInverses: [Entry, AtomKey, Patch[]][] = [];
      for (const atom of entry.patches.keys()) {
        try {
          const out: Patch[] = [];
          const undone = undoChain(atom, index, readState?.(atom), out);
          if (!undone) {
            reportError(new CoordinatorError(CoordinatorErrorCode.InvalidArgument, `mutation ${clientSeq}: no inverse patches for atom ${String(atom)}; recompute it from getPendingPatches()`));
            continue;
          }
          const inverses = new Map<Entry, Patch[]>();
          redo(atom, later, (e) => e.patches.get(atom), undone.document, out, inverses);
          for (const [e, inv] of inverses) newInverses.push([e, atom, inv]);
          rollback.set(atom, out);
        } catch (cause) {
          reportError(new CoordinatorError(CoordinatorErrorCode.InvalidArgument, `mutation ${clientSeq}: the state of atom ${String(atom)} does not match its patches`, { cause }));
        }
      }
      entries.splice(index, 1);
      bySeq.delete(clientSeq);
      for (const [e, atom, inv] of newInverses) e.inverse.set(atom, inv);
      events.emit("rollback", rollback, { clientSeq, mutationInfo: entry.mutationInfo, error });
      events.emit("stateChange");
    },

    processServerDelta(deltaMessage, conflictResolver) {
      if (typeof deltaMessage !== "object" || deltaMessage === null) throw new CoordinatorError(CoordinatorErrorCode.InvalidDelta, "a delta message must be an object { data, serverSeq, prevServerSeq? }");
      const { serverSeq, prevServerSeq, confirmedClientSeq } = deltaMessage;
      if (!isSeq(serverSeq)) throw new CoordinatorError(CoordinatorErrorCode.InvalidDelta, `serverSeq must be a safe integer, got ${String(serverSeq)}`);
      if (prevServerSeq !== undefined && (!isSeq(prevServerSeq) || prevServerSeq >= serverSeq)) {
        throw new CoordinatorError(CoordinatorErrorCode.InvalidDelta, `prevServerSeq must be an integer below serverSeq (${serverSeq}), got ${String(prevServerSeq)}`);
      }
      if (confirmedClientSeq !== undefined && !isSeq(confirmedClientSeq)) throw new CoordinatorError(CoordinatorErrorCode.InvalidDelta, `confirmedClientSeq must be a safe integer, got ${String(confirmedClientSeq)}`);
      if (typeof conflictResolver?.resolve !== "function") throw new CoordinatorError(CoordinatorErrorCode.InvalidArgument, "processServerDelta needs a ConflictResolutionStrategy ({ resolve(serverDelta, pendingPatches) })");

      if (serverSeq <= confirmedServerSeq) return;
      if (prevServerSeq === undefined || prevServerSeq === confirmedServerSeq) {
        try {
          applyDelta({ message: deltaMessage, strategy: conflictResolver });
        } catch (error) {
          emitResync("delta-failed");
          throw error;
        }
        drain();
        return;
      }
      if (prevServerSeq < confirmedServerSeq) {
        emitResync("overlap");
        return;
      }
      if (!held.has(prevServerSeq)) held.set(prevServerSeq, { message: deltaMessage, strategy: conflictResolver });
      if (held.size > maxHeldDeltas) emitResync("gap");
      armGapTimer();
    },

    getPendingPatches() {
      const out = new Map<AtomKey, Patch[]>();
      for (const e of entries) if (!e.confirmed) for (const [atom, patches] of e.patches) appendPatches(out, atom, patches);
      return out;
    },

    onStateChange: (cb) => events.on("stateChange", cb),
    onApplyDelta: (cb) => events.on("applyDelta", cb),
    onRollback: (cb) => events.on("rollback", cb),
    onRebase: (cb) => events.on("rebase", cb),
    onResync: (cb) => events.on("resync", cb),

    resetServerSeq(serverSeq) {
      if (!isSeq(serverSeq)) throw new CoordinatorError(CoordinatorErrorCode.InvalidArgument, `serverSeq must be a safe integer, got ${String(serverSeq)}`);
      confirmedServerSeq = serverSeq;
      setEntries(entries.filter((e) => !e.confirmed));
      if (readState) {
        const rebase = new Map<AtomKey, Patch[]>();
        const atoms = new Set<AtomKey>();
        for (const e of entries) for (const atom of e.patches.keys()) atoms.add(atom);
        for (const atom of atoms) {
          const out: Patch[] = [];
          const inverses = new Map<Entry, Patch[]>();
          redo(atom, entries, (e) => e.patches.get(atom), readState(atom), out, inverses);
          for (const [e, inv] of inverses) e.inverse.set(atom, inv);
          if (out.length) rebase.set(atom, out);
        }
        if (rebase.size) events.emit("rebase", rebase);
      }
      events.emit("stateChange");
      drain();
    },

    getConfirmedServerSeq: () => confirmedServerSeq,
    getPendingMutations: () => entries.filter((e) => !e.confirmed).map(toPublic),

    dispose() {
      clearGapTimer();
      held.clear();
      setEntries([]);
      events.clear();
    },
  };
}
