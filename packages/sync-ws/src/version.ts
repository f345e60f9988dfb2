import type { Entity } from "@kalphite/store";
import { jsonEqual } from "./json";
import type { ConflictStrategy, VectorClock, WriteStamp } from "./types";
import { compareClocks, incrementClock, mergeClocks } from "./vector-clock";

/**
 * One replica's knowledge of one entity: its content (kept for a deletion
 * too, as the tombstone's last known content), its vector clock, its write
 * stamp and, under `operational-transform`, a stamp per field.
 *
 * Invariant the merge relies on: a version that saw another (its clock
 * dominates) has a larger stamp, and so does each field it changed. The
 * engine keeps it by stamping a local write `max(updatedAt, previous + 1)`.
 */
export interface EntityVersion {
  readonly entityType: string;
  readonly entityId: string;
  readonly deleted: boolean;
  readonly entity?: Entity | undefined;
  readonly vector: VectorClock;
  readonly stamp: WriteStamp;
  readonly fields?: Readonly<Record<string, WriteStamp>> | undefined;
}

/** Orders write stamps: by `t`, then by replica id (code-unit order). Negative: `a` is older. */
export function compareStamps(a: WriteStamp, b: WriteStamp): number {
  if (a.t !== b.t) return a.t < b.t ? -1 : 1;
  return a.r < b.r ? -1 : a.r > b.r ? 1 : 0;
}

const maxStamp = (a: WriteStamp, b: WriteStamp): WriteStamp => (compareStamps(a, b) >= 0 ? a : b);

/** The field stamps of a version; a version without them has every present field at its own stamp. */
export function fieldStamps(version: EntityVersion): Readonly<Record<string, WriteStamp>> {
  if (version.fields !== undefined) return version.fields;
  const out: Record<string, WriteStamp> = {};
  if (version.entity !== undefined) for (const key of Object.keys(version.entity)) out[key] = version.stamp;
  return out;
}

/** What a join did: whether the two were concurrent, and the result. */
export interface JoinResult {
  readonly version: EntityVersion;
  readonly concurrent: boolean;
}

/**
 * Merges two versions of the same entity, the same way on every replica and
 * on the server. A version whose clock dominates wins whole; concurrent ones
 * get the merged clock and the strategy's content:
 * - `last-write-wins` and `manual`: the version with the larger stamp.
 * - `operational-transform`: each field from the side whose field stamp is
 *   larger (a field changed on one side only has the larger stamp there), and
 *   existence (upsert vs delete) from the larger version stamp.
 * Both are joins of a semilattice (commutative, associative, idempotent), so
 * any delivery order, duplication or delay converges.
 */
export function joinVersions(a: EntityVersion, b: EntityVersion, strategy: ConflictStrategy): JoinResult {
  const order = compareClocks(a.vector, b.vector);
  if (order === "after") return { version: a, concurrent: false };
  if (order === "before") return { version: b, concurrent: false };
  if (order === "equal") return { version: compareStamps(a.stamp, b.stamp) >= 0 ? a : b, concurrent: false };
  const vector = mergeClocks(a.vector, b.vector);
  const newer = compareStamps(a.stamp, b.stamp) >= 0 ? a : b;
  if (strategy !== "operational-transform") return { version: { ...newer, vector }, concurrent: true };
  return { version: mergeFields(a, b, newer, vector), concurrent: true };
}

function mergeFields(a: EntityVersion, b: EntityVersion, newer: EntityVersion, vector: VectorClock): EntityVersion {
  const fa = fieldStamps(a);
  const fb = fieldStamps(b);
  const fields: Record<string, WriteStamp> = {};
  const content: Record<string, unknown> = {};
  const keys = new Set([...Object.keys(fa), ...Object.keys(fb)]);
  for (const key of keys) {
    const sa = fa[key];
    const sb = fb[key];
    const fromB = sb !== undefined && (sa === undefined || compareStamps(sb, sa) > 0);
    const source = fromB ? b.entity : a.entity;
    fields[key] = fromB ? sb : (sa as WriteStamp);
    if (source !== undefined && Object.prototype.hasOwnProperty.call(source, key)) content[key] = source[key];
  }
  const hasContent = a.entity !== undefined || b.entity !== undefined;
  const entity = hasContent ? ({ id: a.entityId, type: a.entityType, ...content } as Entity) : undefined;
  return {
    entityType: a.entityType,
    entityId: a.entityId,
    deleted: newer.deleted,
    entity,
    vector,
    stamp: maxStamp(a.stamp, b.stamp),
    fields,
  };
}

/** A local write's input. */
export interface LocalWrite {
  readonly operation: "upsert" | "delete";
  readonly entityType: string;
  readonly entityId: string;
  readonly entity?: Entity | undefined;
}

/**
 * The version a local write makes on top of `previous`: the clock gets one
 * more event of `replica` (after merging `extraVector`, a clock the caller
 * says the write saw), the stamp is `max(updatedAt or now, previous + 1)`,
 * and under `operational-transform` each field that changed gets the new stamp.
 */
export function localVersion(
  previous: EntityVersion | undefined,
  write: LocalWrite,
  replica: string,
  now: number,
  strategy: ConflictStrategy,
  extraVector?: VectorClock,
): EntityVersion {
  const base = extraVector === undefined ? (previous?.vector ?? {}) : mergeClocks(previous?.vector ?? {}, extraVector);
  const vector = incrementClock(base, replica);
  const updatedAt = write.operation === "upsert" ? write.entity?.updatedAt : undefined;
  const wanted = typeof updatedAt === "number" && Number.isFinite(updatedAt) ? updatedAt : now;
  const t = previous === undefined ? wanted : Math.max(wanted, previous.stamp.t + 1);
  const stamp: WriteStamp = { t, r: replica };
  const tracked = strategy === "operational-transform";
  if (write.operation === "delete") {
    const entity = previous?.entity ?? write.entity;
    return { entityType: write.entityType, entityId: write.entityId, deleted: true, entity, vector, stamp, fields: tracked ? fieldsAfter(previous, entity, stamp) : undefined };
  }
  const entity = write.entity as Entity;
  return { entityType: write.entityType, entityId: write.entityId, deleted: false, entity, vector, stamp, fields: tracked ? fieldsAfter(previous, entity, stamp) : undefined };
}

/** Field stamps after a write of `entity`: unchanged fields keep theirs, changed (or added, removed) ones get `stamp`. */
function fieldsAfter(previous: EntityVersion | undefined, entity: Entity | undefined, stamp: WriteStamp): Record<string, WriteStamp> {
  const before = previous === undefined ? {} : fieldStamps(previous);
  const old = previous?.entity;
  const out: Record<string, WriteStamp> = {};
  const keys = new Set([...Object.keys(before), ...(entity === undefined ? [] : Object.keys(entity)), ...(old === undefined ? [] : Object.keys(old))]);
  for (const key of keys) {
    const inOld = old !== undefined && Object.prototype.hasOwnProperty.call(old, key);
    const inNew = entity !== undefined && Object.prototype.hasOwnProperty.call(entity, key);
    const same = previous !== undefined && inOld === inNew && (!inNew || jsonEqual(old![key], entity![key]));
    out[key] = same ? (before[key] ?? previous.stamp) : stamp;
  }
  return out;
}

/** Whether two versions show the same thing to an application (existence and content). */
export function sameContent(a: EntityVersion | undefined, b: EntityVersion): boolean {
  if (a === undefined) return false;
  if (a.deleted || b.deleted) return a.deleted === b.deleted;
  return a.entity === b.entity || jsonEqual(a.entity, b.entity);
}

/** The key of an entity in maps: `type` and `id` joined by a character neither may contain unescaped. */
export function entityKey(entityType: string, entityId: string): string {
  return `${entityType.length}:${entityType}:${entityId}`;
}
