// Type tests (checked by `tsc -p packages/transactions/tsconfig.json`): the
// public types infer and accept plain interfaces.
import { describe, expectTypeOf, it } from "vitest";
import type { Collection } from "./collection-types";
import { createCollection } from "./registry";
import { createTestCollection } from "./test-collection";
import type { PendingMutation, Transaction, TransactionState } from "./types";

interface Todo {
  id: string;
  title: string;
  done: boolean;
  tags?: string[];
}

describe("types", () => {
  it("accepts an interface without an index signature", () => {
    const todos = createCollection<Todo>({ sync: { id: "types", setup: async () => ({ data: [] as Todo[] }) }, persistence: false });
    expectTypeOf(todos).toEqualTypeOf<Collection<Todo>>();
    expectTypeOf(todos.data).toEqualTypeOf<Readonly<Record<string, Todo>>>();
    expectTypeOf(todos.insert).parameter(0).toEqualTypeOf<Todo>();
    expectTypeOf(todos.update("t", { done: true })).toEqualTypeOf<Transaction>();
    todos.update("t", (draft) => {
      expectTypeOf(draft.title).toEqualTypeOf<string>();
      draft.done = true;
    });
    // @ts-expect-error an unknown field
    todos.update("t", { nope: 1 });
    // @ts-expect-error a wrong field type
    todos.insert({ id: "x", title: 3, done: false });
  });

  it("infers the item type of the harness and exposes the specification's field types", () => {
    const { collection, syncControl } = createTestCollection({ initialData: [{ id: "a", n: 1 }] });
    expectTypeOf(collection.data["a"]).toEqualTypeOf<{ id: string; n: number } | undefined>();
    expectTypeOf(syncControl.emitUpdate).toBeFunction();
    expectTypeOf<Transaction["state"]>().toEqualTypeOf<TransactionState>();
    expectTypeOf<PendingMutation["state"]>().toEqualTypeOf<"created" | "persisting" | "synced">();
    expectTypeOf<Transaction["error"]>().toEqualTypeOf<{ transaction_id?: string; message: string; error: Error } | undefined>();
  });
});
