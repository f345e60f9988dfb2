import { NonRetriableError, type FlushChange } from "@kalphite/flush";
import { KalphiteError } from "@kalphite/store";
import { DatabaseErrorCode, QuotaExceededError } from "./errors";

/**
 * SQLSTATE classes that say the *data* is refused, so the same batch fails
 * the same way however often it is retried:
 * - `22` data exception (a value Postgres cannot represent: bad Unicode,
 *   numbers out of range, malformed JSON…),
 * - `23` integrity constraint violation (a CHECK or UNIQUE constraint of
 *   your migrations),
 * - `54` program limit exceeded (a value or a statement too big; a smaller
 *   batch may pass, which the engine finds by splitting).
 * Everything else — the database closed or not yet open, I/O and resource
 * errors (`53`, `58`), an operator or internal error (`57`, `XX`), SQL the
 * database does not know yet (`42`, a missing migration) — may pass later and
 * stays retriable.
 */
const PERMANENT_SQLSTATE_CLASSES: ReadonlySet<string> = new Set(["22", "23", "54"]);

function sqlStateOf(error: unknown): string | undefined {
  for (let e = error, depth = 0; e !== null && typeof e === "object" && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = e instanceof KalphiteError ? undefined : (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/**
 * Whether a failure of the PGlite flush target is permanent (the engine
 * should not retry it): a `NonRetriableError`, a `QuotaExceededError`, an
 * invalid argument, or a Postgres error of a data class (see above).
 */
export function isPermanentTargetError(error: unknown): boolean {
  if (error instanceof NonRetriableError || error instanceof QuotaExceededError) return true;
  if (error instanceof KalphiteError && (error.code === DatabaseErrorCode.InvalidArgument || error.code === "VALIDATION_FAILED")) return true;
  const state = sqlStateOf(error);
  return state !== undefined && PERMANENT_SQLSTATE_CLASSES.has(state.slice(0, 2));
}

/**
 * What the flush target rejects with for `error`: permanent failures become
 * a `NonRetriableError` (its `cause` the original; `changes` the batch's one
 * change when it has only one, otherwise left to the engine to isolate by
 * splitting), anything else is rethrown as it is, for the engine to retry.
 *
 * A `QUOTA_EXCEEDED` is permanent here on purpose: retried, a growing batch
 * would block every later batch (deletes included) behind it; as a dead letter
 * it stays reported and `retryDeadLetters()` sends it again once space is freed.
 */
export function toTargetError(error: unknown, changes: readonly FlushChange[]): unknown {
  if (error instanceof NonRetriableError || !isPermanentTargetError(error)) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const state = sqlStateOf(error);
  const which = changes.length === 1 ? ` (${changes[0]!.entityType} "${changes[0]!.entityId}")` : "";
  return new NonRetriableError(`flush target: the batch${which} can never be stored as it is${state === undefined ? "" : ` (SQLSTATE ${state})`}: ${detail}`, {
    cause: error,
    ...(changes.length === 1 ? { changes } : {}),
  });
}
