import { describe, expect, it } from "vitest";
import { TransactionsError } from "./errors";
import { isSettled, isUnfinished, transition, type TransitionEvent } from "./state-machine";
import type { TransactionState } from "./types";

const STATES: TransactionState[] = ["queued", "pending", "persisting", "persisted_awaiting_sync", "completed", "failed"];
const EVENTS: TransitionEvent[] = ["unblock", "block", "dependency_failed", "start", "retry", "interrupted", "fail", "persisted", "synced", "empty"];

/** Every edge of the diagram in state-machine.ts, and nothing else. */
const EDGES: Array<[TransactionState, TransitionEvent, TransactionState]> = [
  ["queued", "unblock", "pending"],
  ["queued", "dependency_failed", "failed"],
  ["pending", "start", "persisting"],
  ["pending", "empty", "completed"],
  ["pending", "block", "queued"],
  ["persisting", "persisted", "persisted_awaiting_sync"],
  ["persisting", "retry", "pending"],
  ["persisting", "interrupted", "pending"],
  ["persisting", "fail", "failed"],
  ["persisted_awaiting_sync", "synced", "completed"],
  ["persisted_awaiting_sync", "fail", "failed"],
];

describe("transition", () => {
  it.each(EDGES)("%s --%s--> %s", (from, event, to) => {
    expect(transition(from, event)).toBe(to);
  });

  it("refuses every other (state, event) pair with INVALID_TRANSITION", () => {
    const allowed = new Set(EDGES.map(([from, event]) => `${from}/${event}`));
    let refused = 0;
    for (const state of STATES) {
      for (const event of EVENTS) {
        if (allowed.has(`${state}/${event}`)) continue;
        expect(() => transition(state, event)).toThrow(TransactionsError);
        try {
          transition(state, event);
        } catch (error) {
          expect((error as TransactionsError).code).toBe("INVALID_TRANSITION");
        }
        refused++;
      }
    }
    expect(refused).toBe(STATES.length * EVENTS.length - EDGES.length);
  });

  it("has completed and failed as the only final states", () => {
    expect(STATES.filter(isSettled)).toEqual(["completed", "failed"]);
    expect(STATES.filter(isUnfinished)).toEqual(["queued", "pending", "persisting", "persisted_awaiting_sync"]);
  });
});
