import type { BaseEntity, ChangeBatch, ChangeOrigin } from "@kalphite/store";
import type { IncomingChange } from "./change-queue";
import { FlushError, FlushErrorCode } from "./errors";
import type { CloseOptions } from "./types";

const ORIGINS: readonly ChangeOrigin[] = ["local", "remote", "load"];

/** The longest delay `setTimeout` honours (2^31 − 1 ms). */
const MAX_TIMER_DELAY = 2_147_483_647;

function bad(message: string): FlushError {
  return new FlushError(FlushErrorCode.InvalidArgument, message);
}

/**
 * Checks a store batch for `scheduleBatch` and returns its changes as the
 * queue takes them (an absent `origin` is `"local"`).
 * @throws FlushError `INVALID_ARGUMENT` naming the batch and the change.
 */
export function checkBatch(batch: ChangeBatch<BaseEntity>): IncomingChange[] {
  if (typeof batch !== "object" || batch === null) throw bad("scheduleBatch(batch): batch must be an object { batchId, changes, meta? }");
  const { batchId, changes, meta } = batch as Partial<ChangeBatch<BaseEntity>>;
  if (typeof batchId !== "string" || batchId === "") throw bad(`scheduleBatch(batch): batch.batchId must be a non-empty string, got ${JSON.stringify(batchId) ?? String(batchId)}`);
  const where = `scheduleBatch(${JSON.stringify(batchId)})`;
  if (!Array.isArray(changes)) throw bad(`${where}: batch.changes must be an array`);
  if (meta !== undefined && (typeof meta !== "object" || meta === null || Array.isArray(meta))) throw bad(`${where}: batch.meta must be an object of key/value metadata when given`);
  const out = new Array<IncomingChange>(changes.length);
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i] as Partial<IncomingChange> | null | undefined;
    const origin = c?.origin ?? "local";
    const problem =
      typeof c !== "object" || c === null ? "is not an object"
      : c.operation !== "upsert" && c.operation !== "delete" ? `has operation ${JSON.stringify(c.operation)}`
      : typeof c.entityType !== "string" || c.entityType === "" || typeof c.entityId !== "string" || c.entityId === "" ? "needs a non-empty string entityType and entityId (a deletion always carries its type)"
      : c.operation === "upsert" && (typeof c.entity !== "object" || c.entity === null || c.entity.id !== c.entityId || c.entity.type !== c.entityType)
        ? `is an upsert of ${c.entityType} ${JSON.stringify(c.entityId)} whose entity is missing or has another id/type`
      : !ORIGINS.includes(origin) ? `has origin ${JSON.stringify(origin)} (expected "local", "remote" or "load")`
      : undefined;
    if (problem !== undefined) throw bad(`${where}: change ${i} ${problem}; nothing of the batch was queued`);
    out[i] = { operation: c!.operation!, entityType: c!.entityType!, entityId: c!.entityId!, entity: c!.operation === "upsert" ? c!.entity : undefined, origin };
  }
  return out;
}

/**
 * Checks `close(options)` and returns its `timeoutMs` (undefined: no limit).
 * @throws FlushError `INVALID_ARGUMENT` for a value that is not a number of ms.
 */
export function checkCloseOptions(options: CloseOptions | undefined): number | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null) throw bad("close(options): options must be an object { timeoutMs? }");
  const { timeoutMs } = options;
  if (timeoutMs === undefined) return undefined;
  if (typeof timeoutMs !== "number" || !(timeoutMs >= 0 && timeoutMs <= MAX_TIMER_DELAY)) {
    throw bad(`close({ timeoutMs }): timeoutMs must be a number of milliseconds from 0 to ${MAX_TIMER_DELAY}, got ${JSON.stringify(timeoutMs) ?? String(timeoutMs)}`);
  }
  return timeoutMs;
}
