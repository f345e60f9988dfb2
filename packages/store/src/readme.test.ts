import { expect, it } from "vitest";
import { KalphiteStore, type ChangeBatch, type ChangeSink } from "./index";

// The "Transactions and patches" example of the README, checked.
it("the README's transaction example does what its comments say", () => {
  const sent: ChangeBatch[] = [];
  const sink: ChangeSink = {
    scheduleFlush() {},
    scheduleDelete() {},
    scheduleBatch: (batch) => void sent.push(batch as ChangeBatch),
  };
  const store = KalphiteStore(undefined, { sink });
  const todos = store.getByType("todo");
  todos.upsert("t1", { title: "Write docs", done: false });

  const { result, patches, inversePatches, batchId } = store.transaction(
    () => {
      todos.update("t1", (d) => {
        d.done = true;
      });
      todos.upsert("t2", { title: "Ship", done: false });
      return todos.length;
    },
    { meta: { reason: "demo" } },
  );
  expect(result).toBe(2);
  expect(batchId).toBe("b2");
  expect(sent[1]).toMatchObject({ batchId: "b2", meta: { reason: "demo" } });
  expect(sent[1]!.changes).toHaveLength(2);
  expect(patches).toEqual([
    { op: "replace", path: "/todo/t1/done", value: true },
    { op: "add", path: "/todo/t2", value: { title: "Ship", done: false, id: "t2", type: "todo" } },
  ]);
  expect(inversePatches).toEqual([
    { op: "remove", path: "/todo/t2" },
    { op: "replace", path: "/todo/t1/done", value: false },
  ]);

  store.applyPatches(inversePatches);
  expect(todos.map((t) => t)).toEqual([{ id: "t1", type: "todo", title: "Write docs", done: false }]);
  const replica = KalphiteStore();
  replica.applyPatches([{ op: "add", path: "/todo/t1", value: { title: "Write docs", done: false } }], { origin: "remote" });
  expect(replica.getById("todo", "t1")).toEqual({ id: "t1", type: "todo", title: "Write docs", done: false });

  const before = sent.length;
  expect(() =>
    store.transaction(() => {
      todos.delete("t1");
      throw new Error("no");
    }),
  ).toThrow("no");
  expect(todos.findById("t1")).toBeDefined();
  expect(sent.length).toBe(before);
});
