import type { BatchMeta, EntityId } from "@kalphite/store";
import type { Unit } from "./change-queue";
import type { FlushBatchContext, FlushChange } from "./types";

/** One call of the target: its units, changes and context, built once per attempt. */
export interface Call {
  readonly units: Unit[];
  readonly changes: FlushChange[];
  readonly context: FlushBatchContext;
}

const EMPTY_META: BatchMeta = Object.freeze({});

/** The call for `units`: their changes in order, their batch ids, their metadata merged in batch order (a later key wins). */
export function buildCall(units: Unit[]): Call {
  const changes: FlushChange[] = [];
  const batchIds: string[] = [];
  let meta: Record<string, unknown> | undefined;
  for (const unit of units) {
    for (const record of unit.records) changes.push(record.toChange());
    for (const batchId of unit.batchIds) batchIds.push(batchId);
    if (unit.metas !== null) for (const m of unit.metas) if (m !== undefined) meta = Object.assign(meta ?? {}, m);
  }
  return { units, changes, context: { batchIds, meta: meta ?? EMPTY_META } };
}

/** `todo "a"`, for messages. */
export const describeEntity = (change: { entityType: string; entityId: EntityId }) => `${change.entityType} ${JSON.stringify(change.entityId)}`;

/** `todo "a", todo "b", … and 3 more`, for messages. */
export function listEntities(changes: readonly { entityType: string; entityId: EntityId }[]): string {
  const shown = changes.slice(0, 5).map(describeEntity).join(", ");
  return changes.length > 5 ? `${shown} and ${changes.length - 5} more` : shown;
}
