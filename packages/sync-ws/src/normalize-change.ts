import type { Entity } from "@kalphite/store";
import { SyncError, SyncErrorCode } from "./errors";
import type { ChangeMessage, ShortChange, VectorClock } from "./types";
import type { LocalWrite } from "./version";

/** A `sendChange` argument, checked and reduced to what the engine needs. */
export interface NormalizedChange {
  readonly write: LocalWrite;
  /** The caller's `messageId` (ChangeMessage form), kept for idempotency. */
  readonly messageId?: string | undefined;
  /** The caller's clock (ChangeMessage form), merged into the new version's. */
  readonly vector?: VectorClock | undefined;
}

function bad(message: string, change: unknown): SyncError {
  return new SyncError(SyncErrorCode.InvalidChange, `sendChange: ${message}`, { details: { change } });
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Reads the two forms `sendChange` takes: the specification's
 * `ChangeMessage` (`{ type: "change", payload: { operation, … } }`) and the
 * short `{ type: "upsert" | "delete", entityType, entityId, entity? }`.
 * @throws SyncError `INVALID_CHANGE` saying what is wrong
 */
export function normalizeChange(change: ChangeMessage | ShortChange | unknown): NormalizedChange {
  if (!isObject(change)) throw bad("expected a change object", change);
  let operation: unknown;
  let body: Record<string, unknown>;
  let messageId: string | undefined;
  let vector: VectorClock | undefined;
  if (change.type === "change") {
    if (!isObject(change.payload)) throw bad('a ChangeMessage needs a payload { operation, entityType, entityId, entity?, vector }', change);
    body = change.payload;
    operation = body.operation;
    if (change.messageId !== undefined) {
      if (typeof change.messageId !== "string" || change.messageId === "") throw bad("messageId must be a non-empty string", change);
      messageId = change.messageId;
    }
    if (body.vector !== undefined) {
      if (!isObject(body.vector) || !Object.values(body.vector).every((n) => typeof n === "number" && Number.isSafeInteger(n) && n >= 0)) {
        throw bad("payload.vector must map replica ids to non-negative integers", change);
      }
      vector = body.vector as VectorClock;
    }
  } else {
    body = change;
    operation = change.type;
  }
  if (operation !== "upsert" && operation !== "delete") throw bad(`the operation must be "upsert" or "delete", got ${JSON.stringify(operation)}`, change);
  const { entityType, entityId, entity } = body;
  if (typeof entityType !== "string" || entityType === "") throw bad("entityType must be a non-empty string", change);
  if (typeof entityId !== "string" || entityId === "") throw bad("entityId must be a non-empty string", change);
  if (entity !== undefined && !isObject(entity)) throw bad(`entity of ${entityType} "${entityId}" must be an object`, change);
  if (operation === "upsert" && entity === undefined) throw bad(`an upsert of ${entityType} "${entityId}" needs an entity`, change);
  let full: Entity | undefined;
  if (entity !== undefined) {
    if (entity.id !== undefined && entity.id !== entityId) throw bad(`entity.id ${JSON.stringify(entity.id)} disagrees with entityId "${entityId}"`, change);
    if (entity.type !== undefined && entity.type !== entityType) throw bad(`entity.type ${JSON.stringify(entity.type)} disagrees with entityType "${entityType}"`, change);
    full = entity.id === entityId && entity.type === entityType ? (entity as Entity) : ({ ...entity, id: entityId, type: entityType } as Entity);
  }
  return { write: { operation, entityType, entityId, entity: full }, messageId, vector };
}
