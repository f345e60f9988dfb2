import type { BaseEntity, EntityId } from "@kalphite/store";

/** One change on its way to durable storage. Identity is `(entityType, entityId)`. */
export interface FlushChange {
  readonly operation: "upsert" | "delete";
  readonly entityId: EntityId;
  readonly entityType: string;
  /** The entity's latest state; present for upserts, absent for deletes. */
  readonly entity?: BaseEntity | undefined;
  /** When the change was (last) scheduled, in ms since the epoch. */
  readonly timestamp: number;
}

/**
 * Where batches go: applies every change of the batch durably (all or nothing)
 * and resolves, or rejects so the engine retries the batch.
 */
export type FlushTarget = (changes: FlushChange[]) => Promise<void>;
