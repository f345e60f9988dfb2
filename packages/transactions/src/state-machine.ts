import { TransactionsError, TransactionsErrorCode } from "./errors";
import type { TransactionState } from "./types";

/**
 * The transaction state machine. Every state change goes through
 * {@link transition}; nothing else assigns `Transaction.state`.
 *
 * ```
 *   insert / update / delete / withMutation
 *        │                       │
 *        │ objects free          │ objects held by an earlier unfinished
 *        ▼                       ▼ transaction (ordered strategy)
 *   ┌─────────┐   unblock   ┌────────┐
 *   │ pending │◀────────────│ queued │──dependency_failed──┐
 *   │         │────block───▶│        │                      │
 *   └─────────┘             └────────┘                      │
 *     │  ▲  │ empty (no mutations)                          │
 *     │  │  └───────────────────────────────┐               │
 *     │  │ retry (backoff) / interrupted    │               │
 *     │  │ (page closed mid-persist)        │               │
 *     ▼  │                                  │               ▼
 *   ┌────────────┐  fail (NonRetriableError, │          ┌────────┐
 *   │ persisting │──out of retries) ─────────┼─────────▶│ failed │
 *   └────────────┘                           │          └────────┘
 *     │ persisted                            │               ▲
 *     ▼                                      │               │ fail (awaitSync rejected)
 *   ┌─────────────────────────┐              │               │
 *   │ persisted_awaiting_sync │──────────────┼───────────────┘
 *   └─────────────────────────┘              │
 *     │ synced (awaitSync resolved, none     │
 *     │ given, or recovered after a reload)  │
 *     ▼                                      │
 *   ┌───────────┐◀───────────────────────────┘
 *   │ completed │
 *   └───────────┘
 * ```
 * `block` happens once, at start-up: a transaction created before recovery
 * finished turns out to touch an object of an older recovered one.
 * `completed` and `failed` are final.
 */
export type TransitionEvent =
  | "unblock"
  | "block"
  | "dependency_failed"
  | "start"
  | "retry"
  | "interrupted"
  | "fail"
  | "persisted"
  | "synced"
  | "empty";

const TABLE: Readonly<Record<TransactionState, Partial<Record<TransitionEvent, TransactionState>>>> = {
  queued: { unblock: "pending", dependency_failed: "failed" },
  pending: { start: "persisting", empty: "completed", block: "queued" },
  persisting: { persisted: "persisted_awaiting_sync", retry: "pending", interrupted: "pending", fail: "failed" },
  persisted_awaiting_sync: { synced: "completed", fail: "failed" },
  completed: {},
  failed: {},
};

/**
 * The state `event` leads to from `state`. Throws `INVALID_TRANSITION` for a
 * change the diagram above does not have.
 */
export function transition(state: TransactionState, event: TransitionEvent): TransactionState {
  const next = TABLE[state][event];
  if (next === undefined) {
    throw new TransactionsError(
      TransactionsErrorCode.InvalidTransition,
      `A transaction in state "${state}" cannot take the "${event}" transition.`,
    );
  }
  return next;
}

/** Whether a transaction in `state` is still running (its optimistic updates apply). */
export function isUnfinished(state: TransactionState): boolean {
  return state !== "completed" && state !== "failed";
}

/** Whether a transaction in `state` is final. */
export function isSettled(state: TransactionState): boolean {
  return state === "completed" || state === "failed";
}
