import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeTransaction, encodeTransaction, toRecord } from "./codec";
import { NonRetriableError } from "./errors";
import { expectSameTransaction, richTransaction } from "./storage/storage-contract";
import type { PendingMutation, Transaction } from "./types";

const text = fc.string({ unit: "binary", maxLength: 12 });
// JSON data as a storage gives it back (no -0).
const json = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const record = fc.dictionary(text, json, { maxKeys: 5 });
const date = fc.date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true });

const mutation: fc.Arbitrary<PendingMutation> = fc.record({
  mutationId: text,
  original: record,
  modified: record,
  changes: record,
  metadata: json,
  created_at: date,
  updated_at: date,
  state: fc.constantFrom("created" as const, "persisting" as const, "synced" as const),
});

const transaction: fc.Arbitrary<Transaction> = fc
  .record({
    id: text.filter((s) => s.length > 0),
    state: fc.constantFrom("queued" as const, "pending" as const, "persisting" as const, "persisted_awaiting_sync" as const, "completed" as const, "failed" as const),
    created_at: date,
    updated_at: date,
    mutations: fc.array(mutation, { maxLength: 3 }),
    attempts: fc.array(
      fc.record(
        { id: text, started_at: date, completed_at: date, error: text.map((m) => new Error(m)), retry_scheduled_for: date },
        { requiredKeys: ["id", "started_at"] },
      ),
      { maxLength: 3 },
    ),
    current_attempt: fc.nat(10),
    queued_behind: text,
    error: fc.record({ transaction_id: text, message: text, error: text.map((m) => new NonRetriableError(m)) }, { requiredKeys: ["message", "error"] }),
  }, { requiredKeys: ["id", "state", "created_at", "updated_at", "mutations", "attempts", "current_attempt"] });

describe("the stored format", () => {
  it("round-trips every field through JSON (property, full Unicode)", () => {
    fc.assert(
      fc.property(transaction, (tx) => {
        const stored = JSON.parse(JSON.stringify(toRecord("c", tx))) as ReturnType<typeof toRecord>;
        expectSameTransaction(decodeTransaction(stored.transaction), tx);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses malformed records with CORRUPT_RECORD, naming the field", () => {
    const good = encodeTransaction(richTransaction());
    const cases: Array<[unknown, RegExp]> = [
      [null, /transaction is not an object/],
      [{ ...good, id: "" }, /id is not a non-empty string/],
      [{ ...good, state: "done" }, /state "done" is unknown/],
      [{ ...good, created_at: "yesterday" }, /created_at is not an ISO date/],
      [{ ...good, mutations: {} }, /mutations\/attempts are not arrays/],
      [{ ...good, mutations: [{ ...good.mutations[0], state: "x" }] }, /mutations\[0\].state is unknown/],
      [{ ...good, attempts: [{ id: "a", started_at: "2026-01-01T00:00:00Z", error: { message: 1 } }] }, /attempts\[0\].error has no name\/message/],
    ];
    for (const [value, message] of cases) {
      expect(() => decodeTransaction(value)).toThrow(expect.objectContaining({ code: "CORRUPT_RECORD" }));
      expect(() => decodeTransaction(value)).toThrow(message);
    }
  });
});
