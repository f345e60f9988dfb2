import type { BaseEntity, EntityId } from "../types";
import type { LiveChange } from "./live-types";
import type { Order } from "./node-types";

/** One entity's story in a view during the current batch. */
export interface Track<T> {
  /** The version the view held when the batch began (undefined: not in the view). */
  start: T | undefined;
  /** The version it holds now. */
  end: T | undefined;
  /** Re-placed among the others at least once. */
  moved: boolean;
  /** The order's rank of `start`: a move that brought it back to the same rank is no move. */
  rank: unknown;
}

/** Records that `prev` (or nothing) became `next` (or nothing) in a view. */
export function track<T extends BaseEntity>(
  tracks: Map<EntityId, Track<T>>,
  order: Order<T>,
  next: T | undefined,
  prev: T | undefined,
  moved: boolean,
): void {
  const id = (next ?? prev)!.id;
  const known = tracks.get(id);
  if (known === undefined) {
    tracks.set(id, { start: prev, end: next, moved, rank: prev === undefined ? undefined : order.key(prev) });
    return;
  }
  // Left and came back within the batch: it may sit elsewhere now.
  if (prev === undefined && known.start !== undefined) known.moved = true;
  else if (moved) known.moved = true;
  known.end = next;
}

/** Whether a tracked entity that stayed ended up re-placed: moved, and not back at the rank it started with. */
function movedFor<T extends BaseEntity>(t: Track<T>, order: Order<T>): boolean {
  return t.moved && order.compare(t.rank, order.key(t.end!)) !== 0;
}

/** The batch's net change, or undefined when there is none. */
export function changeFromTracks<T extends BaseEntity>(tracks: Map<EntityId, Track<T>>, order: Order<T>): LiveChange<T> | undefined {
  // Lists stay the shared empty one until something goes in (most changes fill one list).
  let added: T[] = NONE;
  let removed: T[] = NONE;
  let moved: T[] = NONE;
  let updated: T[] = NONE;
  for (const t of tracks.values()) {
    const { start, end } = t;
    if (start === undefined) {
      if (end !== undefined) (added === NONE ? (added = []) : added).push(end);
    } else if (end === undefined) {
      (removed === NONE ? (removed = []) : removed).push(start);
    } else {
      if (start !== end) (updated === NONE ? (updated = []) : updated).push(end);
      if (movedFor(t, order)) (moved === NONE ? (moved = []) : moved).push(end);
    }
  }
  return added.length + removed.length + moved.length + updated.length === 0 ? undefined : { added, removed, moved, updated };
}

/** The empty list of a `LiveChange` (frozen: the lists are read-only). */
const NONE: never[] = Object.freeze([]) as unknown as never[];

/**
 * The net change of a rebuilt view: `before` is what it held when it stopped
 * incremental work, `tracks` what happened earlier in the batch, `after` the
 * new contents. Entities kept in both are `moved` when they moved earlier in
 * the batch, or are outside a longest run that kept its relative order (the
 * fewest moves that explain the new order) and, with a `stable` order (where
 * an unchanged entity cannot move by itself), changed.
 */
export function changeFromRebuild<T extends BaseEntity>(
  before: readonly T[],
  tracks: Map<EntityId, Track<T>> | undefined,
  after: readonly T[],
  order: Order<T>,
): LiveChange<T> | undefined {
  const positionOf = new Map<EntityId, number>();
  for (let i = 0; i < before.length; i++) positionOf.set(before[i]!.id, i);
  const seen = new Uint8Array(before.length);
  const trackedSeen = new Set<EntityId>();
  const added: T[] = [];
  const updated: T[] = [];
  const moved: T[] = [];
  const kept: T[] = [];
  const keptStarts: T[] = [];
  const keptPositions: number[] = [];
  for (const entity of after) {
    const id = entity.id;
    const position = positionOf.get(id);
    if (position !== undefined) seen[position] = 1;
    const t = tracks?.get(id);
    if (t !== undefined) trackedSeen.add(id);
    const start = t !== undefined ? t.start : position !== undefined ? before[position] : undefined;
    if (start === undefined) {
      added.push(entity);
      continue;
    }
    if (start !== entity) updated.push(entity);
    if (t !== undefined && (t.moved || position === undefined)) {
      // Moved, or left before the rebuild began and is back: moved unless back at its rank.
      if (movedFor({ ...t, moved: true, end: entity }, order)) moved.push(entity);
    } else if (position !== undefined) {
      kept.push(entity);
      keptStarts.push(start);
      keptPositions.push(position);
    }
  }
  const removed: T[] = [];
  for (let i = 0; i < before.length; i++) if (seen[i] === 0 && tracks?.has(before[i]!.id) !== true) removed.push(before[i]!);
  if (tracks !== undefined) for (const [id, t] of tracks) if (t.start !== undefined && !trackedSeen.has(id)) removed.push(t.start);
  const inRun = longestIncreasingRun(keptPositions);
  for (let i = 0; i < kept.length; i++) {
    if (!inRun[i] && (!order.stable || keptStarts[i] !== kept[i])) moved.push(kept[i]!);
  }
  return added.length + removed.length + moved.length + updated.length === 0 ? undefined : { added, removed, moved, updated };
}

/** Marks the members of one longest strictly increasing subsequence (patience sorting, O(n log n)). */
function longestIncreasingRun(values: readonly number[]): boolean[] {
  const n = values.length;
  const tails: number[] = []; // tails[k]: index of the smallest tail of a run of length k + 1
  const previous = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (values[tails[mid]!]! < values[i]!) lo = mid + 1;
      else hi = mid;
    }
    previous[i] = lo > 0 ? tails[lo - 1]! : -1;
    tails[lo] = i;
  }
  const inRun = new Array<boolean>(n).fill(false);
  for (let i = tails.length > 0 ? tails[tails.length - 1]! : -1; i >= 0; i = previous[i]!) inRun[i] = true;
  return inRun;
}
