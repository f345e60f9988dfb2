import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { simulate } from "@kalphite/testing";
import { todoEntitySchemas, todoMutators } from "@kalphite/todo-model";

// A small pool of ids so operations collide: concurrent edits of one todo, completes of deleted ones.
const id = fc.constantFrom("t1", "t2", "t3", "t4");
const now = fc.integer({ min: 1_700_000_000_000, max: 1_700_000_900_000 });
const title = fc.string({ unit: "binary", minLength: 1, maxLength: 12 }).filter((t) => t.trim() !== "");
const operations = {
  addTodo: fc.tuple(fc.record({ id, title, now, priority: fc.constantFrom("low", "medium", "high"), project: fc.constantFrom(null, "home", "Work", "work") })),
  completeTodo: fc.tuple(fc.record({ id, now })),
  uncompleteTodo: fc.tuple(fc.record({ id, now })),
  editTodo: fc.tuple(fc.record({ id, now, title })),
  addNote: fc.tuple(fc.record({ id, now, text: fc.constantFrom("call", "buy milk", "later") })),
  deleteTodo: fc.tuple(fc.record({ id })),
  clearDone: fc.constant([{}] as const),
};

describe("simulate on the todo app's mutators and schema", () => {
  it("every client ends with the server's todos, each operation applied once", async () => {
    const report = await simulate({
      seed: 2026,
      clients: 4,
      mutators: todoMutators,
      schema: todoEntitySchemas,
      operations,
      runs: 10,
      steps: 50,
      faults: { drop: 0.1, duplicate: 0.1, reorder: 0.15, partition: 0.05, disconnect: 0.05, clientRestart: 0.05, serverRestart: 0.04 },
    });
    expect(report.operations).toBeGreaterThan(100);
    // Conflicting ids make some operations fail on the server (a todo added twice, edited after a delete): those are refusals, not losses.
    expect(report.confirmed + report.refused).toBeGreaterThan(0);
    expect(report.serverRestarts + report.clientRestarts).toBeGreaterThan(0);
  });
});
