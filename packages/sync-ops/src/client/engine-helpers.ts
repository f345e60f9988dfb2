import { SyncError, SyncErrorCode, type ChangeMessage, type ShortChange } from "@kalphite/sync-ws";
import type { Entity } from "@kalphite/store";
import { SyncOpsError, SyncOpsErrorCode, messageOf } from "../errors";
import type { DeletedEntity, StateSyncResponse } from "../types";
import { describeZodError, notificationSchema } from "../wire";

/** Orders state versions: decimal counters numerically, anything else as strings; "" is before everything. */
export const compareVersions = (a: string, b: string): number => {
  if (a === b) return 0;
  if (a === "") return -1;
  if (b === "") return 1;
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return a.length !== b.length ? a.length - b.length : a < b ? -1 : 1;
  return a < b ? -1 : 1;
};

/** A failed request that a later attempt may fix (network, timeout, 5xx, 401, 404, a malformed answer). */
export function isRetriable(error: unknown): boolean {
  if (!(error instanceof SyncOpsError)) return true;
  const status = error.status;
  return status === undefined || status >= 500 || status === 401 || status === 404 || status === 405 || status === 408 || status === 429 || error.code === SyncOpsErrorCode.ProtocolError;
}

/** Wraps an engine failure as the `SyncError` the base engine's `error` event carries (the original as `cause`, its code and status in `details`). */
export const toSyncError = (error: unknown): SyncError => {
  if (error instanceof SyncError) return error;
  const status = error instanceof SyncOpsError ? error.status : undefined;
  const code =
    status === 401
      ? SyncErrorCode.Unauthorized
      : error instanceof SyncOpsError && error.code === SyncOpsErrorCode.ProtocolError
        ? SyncErrorCode.ProtocolError
        : error instanceof SyncOpsError && error.code === SyncOpsErrorCode.StorageFailed
          ? SyncErrorCode.StorageFailed
          : SyncErrorCode.ServerError;
  return new SyncError(code, messageOf(error), {
    cause: error,
    details: { ...(error instanceof SyncOpsError ? { code: error.code } : {}), ...(status === undefined ? {} : { status }) },
  });
};


export const keyOf = (type: string, id: string) => `${type.length}:${type}${id}`;

/** The short form of a legacy change; throws `INVALID_ARGUMENT` for anything else. */
export function normalizeChange(change: ChangeMessage | ShortChange): ShortChange {
  const c = change as Partial<ChangeMessage> & Partial<ShortChange>;
  if (c && typeof c === "object" && c.type === "change" && c.payload && typeof c.payload === "object") {
    const p = c.payload;
    return p.entity === undefined
      ? { type: p.operation, entityType: p.entityType, entityId: p.entityId }
      : { type: p.operation, entityType: p.entityType, entityId: p.entityId, entity: p.entity };
  }
  if (!c || typeof c !== "object" || (c.type !== "upsert" && c.type !== "delete") || typeof c.entityType !== "string" || c.entityType === "" || typeof c.entityId !== "string" || c.entityId === "") {
    throw new SyncOpsError(SyncOpsErrorCode.InvalidArgument, "sendChange(change): expected { type: \"upsert\" | \"delete\", entityType, entityId, entity? } or a ChangeMessage");
  }
  if (c.type === "upsert" && (typeof c.entity !== "object" || c.entity === null)) {
    throw new SyncOpsError(SyncOpsErrorCode.InvalidArgument, `sendChange(upsert ${c.entityType} "${c.entityId}"): entity must be an object`);
  }
  return c as ShortChange;
}

/**
 * The entities and typed deletions a pull brings, given what earlier pulls
 * delivered (`known`, updated in place): a `reset` also deletes what the full
 * state lacks.
 */
export function patchContent(response: StateSyncResponse, known: Map<string, DeletedEntity>): { entities: Entity[]; deleted: DeletedEntity[] } {
  const deleted: DeletedEntity[] = [...(response.deleted ?? [])];
  if (!response.deleted && response.deletedEntityIds) {
    for (const id of response.deletedEntityIds) deleted.push({ entityType: "unknown", entityId: id });
  }
  const entities = response.entities as Entity[];
  if (response.reset === true) {
    const present = new Set(entities.map((e) => keyOf(e.type, e.id)));
    for (const [key, value] of known) if (!present.has(key)) deleted.push(value);
    known.clear();
  }
  for (const entity of entities) known.set(keyOf(entity.type, entity.id), { entityType: entity.type, entityId: entity.id });
  for (const d of deleted) known.delete(keyOf(d.entityType, d.entityId));
  return { entities, deleted };
}

/** A notification frame checked against the protocol, or the `PROTOCOL_ERROR` saying why it is not one. */
export function parseNotification(text: string): import("zod").infer<typeof notificationSchema> | SyncOpsError {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return new SyncOpsError(SyncOpsErrorCode.ProtocolError, "a notification is not JSON");
  }
  const parsed = notificationSchema.safeParse(raw);
  if (!parsed.success) return new SyncOpsError(SyncOpsErrorCode.ProtocolError, `a notification does not match the protocol: ${describeZodError(parsed.error)}`);
  return parsed.data;
}
