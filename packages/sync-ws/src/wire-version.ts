import type { ChangePayload } from "./protocol";
import type { ChangeMessage, WriteStamp } from "./types";
import type { EntityVersion } from "./version";

/**
 * The version a change payload carries. A payload without `stamp` (from a
 * client that does not send one) is stamped with its entity's `updatedAt`
 * (0 without one) and the sending replica.
 */
export function versionFromPayload(payload: ChangePayload | ChangeMessage["payload"], sender: string): EntityVersion {
  const updatedAt = payload.entity?.updatedAt;
  const stamp: WriteStamp = payload.stamp ?? { t: typeof updatedAt === "number" && Number.isFinite(updatedAt) ? updatedAt : 0, r: sender };
  return {
    entityType: payload.entityType,
    entityId: payload.entityId,
    deleted: payload.operation === "delete",
    entity: payload.entity as EntityVersion["entity"],
    vector: payload.vector,
    stamp,
    fields: payload.fields,
  };
}

/**
 * The payload that carries a version. A deletion carries its tombstone's
 * content only with the field stamps (`operational-transform` merges need it).
 */
export function payloadFromVersion(version: EntityVersion, withFields: boolean): ChangeMessage["payload"] {
  const entity = version.deleted && !withFields ? undefined : version.entity;
  return {
    operation: version.deleted ? "delete" : "upsert",
    entityType: version.entityType,
    entityId: version.entityId,
    ...(entity === undefined ? {} : { entity }),
    vector: version.vector,
    stamp: version.stamp,
    ...(withFields && version.fields !== undefined ? { fields: version.fields as Record<string, WriteStamp> } : {}),
  };
}
