import { describe, expect, it } from "vitest";
import { decodeTransaction, toRecord } from "../codec";
import { NonRetriableError, TransactionsError } from "../errors";
import type { Transaction } from "../types";
import type { TransactionStorage } from "./types";

/** A transaction with every optional field set, odd Unicode and nested changes. */
export function richTransaction(id = "tx-1"): Transaction {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s, 123));
  const interrupted = new TransactionsError("INTERRUPTED", "closed mid-persist");
  return {
    id,
    state: "failed",
    created_at: at(0),
    updated_at: at(9),
    mutations: [
      {
        mutationId: "m1",
        original: { id: "a", title: "old", nested: { list: [1, 2, { deep: null }] } },
        modified: { id: "a", title: "new \u{1F600} \u0000 \uD800", nested: { list: [] } },
        changes: { title: "new \u{1F600} \u0000 \uD800", nested: { list: [] } },
        metadata: { type: "update", collection: "todos", removed: ["gone"] },
        created_at: at(0),
        updated_at: at(1),
        state: "created",
      },
      {
        mutationId: "m2",
        original: {},
        modified: { id: "b", n: -0.5, flag: false },
        changes: { id: "b", n: -0.5, flag: false },
        metadata: { type: "insert", collection: "todos" },
        created_at: at(0),
        updated_at: at(1),
        state: "persisting",
      },
    ],
    attempts: [
      { id: "at1", started_at: at(1), completed_at: at(2), error: new Error("503"), retry_scheduled_for: at(3) },
      { id: "at2", started_at: at(3), completed_at: at(4), error: interrupted },
      { id: "at3", started_at: at(5), completed_at: at(6), error: new NonRetriableError("422") },
    ],
    current_attempt: 3,
    queued_behind: "tx-0",
    error: { transaction_id: "tx-0", message: "rolled back", error: new NonRetriableError("422") },
  };
}

/** Compares transactions field by field, errors by name, message and code. */
export function expectSameTransaction(actual: Transaction, expected: Transaction): void {
  const errorShape = (e: Error | undefined) => (e === undefined ? undefined : { name: e.name, message: e.message, code: (e as { code?: unknown }).code });
  const shape = (t: Transaction) => ({
    ...t,
    attempts: t.attempts.map((a) => ({ ...a, error: errorShape(a.error) })),
    error: t.error === undefined ? undefined : { ...t.error, error: errorShape(t.error.error) },
  });
  expect(shape(actual)).toEqual(shape(expected));
  for (const [i, a] of actual.attempts.entries()) {
    if (a.error !== undefined) expect(a.error).toBeInstanceOf(Error);
    expect(a.started_at).toBeInstanceOf(Date);
    if (expected.attempts[i]?.error instanceof NonRetriableError) expect(a.error).toBeInstanceOf(NonRetriableError);
  }
}

/** The contract every `TransactionStorage` meets, run against each implementation. */
export function storageContract(name: string, make: () => TransactionStorage | Promise<TransactionStorage>): void {
  describe(`TransactionStorage contract: ${name}`, () => {
    it("round-trips a transaction with every field, changes included", async () => {
      const storage = await make();
      const tx = richTransaction(`rt-${Math.random()}`);
      await storage.save([toRecord("todos-rt", tx)]);
      const [record, ...rest] = await storage.load("todos-rt");
      expect(rest).toEqual([]);
      expect(record?.collectionId).toBe("todos-rt");
      expectSameTransaction(decodeTransaction(record!.transaction), tx);
    });

    it("replaces a record with the same key, keeps collections apart and removes by id", async () => {
      const storage = await make();
      const c = `c-\u0000\uD800-${Math.random()}`;
      const a = richTransaction("a");
      const b = { ...richTransaction("b"), state: "pending" as const };
      await storage.save([toRecord(c, a), toRecord(c, b), toRecord(`${c}-other`, a)]);
      await storage.save([toRecord(c, { ...a, state: "completed" })]);
      const loaded = (await storage.load(c)).map((r) => decodeTransaction(r.transaction));
      expect(loaded.map((t) => `${t.id}:${t.state}`).sort()).toEqual(["a:completed", "b:pending"]);
      await storage.remove(c, ["a", "missing"]);
      expect((await storage.load(c)).map((r) => r.id)).toEqual(["b"]);
      expect((await storage.load(`${c}-other`)).map((r) => r.id)).toEqual(["a"]);
      await storage.save([]);
      await storage.remove(c, []);
      expect(await storage.load(`${c}-none`)).toEqual([]);
    });
  });
}
