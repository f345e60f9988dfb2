/** Flush changes and target contexts for the tests of this package. */
import type { FlushBatchContext, FlushChange } from "@kalphite/flush";
import type { BaseEntity, BatchMeta } from "@kalphite/store";

/** An upsert of `entity` as the flush engine hands it to a target. */
export const upsertChange = (entity: BaseEntity & Record<string, unknown>, batchId = "b1"): FlushChange => ({
  operation: "upsert",
  entityType: entity.type,
  entityId: entity.id,
  entity,
  timestamp: 0,
  origin: "local",
  batchId,
});

/** A delete of `(entityType, entityId)`. */
export const deleteChange = (entityType: string, entityId: string, batchId = "b1"): FlushChange => ({
  operation: "delete",
  entityType,
  entityId,
  timestamp: 0,
  origin: "local",
  batchId,
});

/** The context of a target call completing the given batches, with `meta`. */
export const batchContext = (meta: BatchMeta = {}, batchIds: readonly string[] = ["b1"]): FlushBatchContext => ({ batchIds, meta });
