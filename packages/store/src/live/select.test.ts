import { describe, expect, it } from "vitest";
import { KalphiteStore } from "../index";
import { AppSchema, todo } from "../test-fixtures";
import type { LiveChange } from "./live-types";
import { ids } from "./test-helpers";

const make = () => KalphiteStore(AppSchema);

interface Row {
  readonly id: string;
  readonly type: "row";
  readonly rank?: number | null;
  readonly at?: number;
}

describe("filter / where", () => {
  it("keeps collection order: updates stay in place, new entities go last, a re-inserted one goes last", () => {
    const store = make();
    store.todo.upsertMany([todo("a"), todo("b", { completed: true }), todo("c"), todo("d")]);
    const open = store.todo.live.where((t) => !t.completed);
    expect(ids(open)).toEqual(["a", "c", "d"]);
    store.todo.update("b", (d) => {
      d.completed = false;
    });
    expect(ids(open)).toEqual(["a", "b", "c", "d"]); // b entered at its collection position
    store.todo.upsert("e", todo("e"));
    expect(ids(open)).toEqual(["a", "b", "c", "d", "e"]);
    store.todo.delete("a");
    store.todo.upsert("a", todo("a"));
    expect(ids(open)).toEqual(["b", "c", "d", "e", "a"]);
    expect(ids(open)).toEqual(ids(store.todo.filter((t) => !t.completed)));
  });

  it("holds the current version of each entity, replaced in place", () => {
    const store = make();
    store.todo.upsertMany([todo("a"), todo("b")]);
    const all = store.todo.live.filter(() => true);
    const before = all[1];
    const after = store.todo.update("b", (d) => {
      d.title = "renamed";
    });
    expect(all[1]).toBe(after);
    expect(all[1]).not.toBe(before);
    expect(all).toHaveLength(2);
  });

  it("a filter of a filter follows its upstream; where is an alias", () => {
    const store = make();
    store.todo.upsertMany([todo("a", { priority: 1 }), todo("b", { priority: 3 }), todo("c", { priority: 5 })]);
    const high = store.todo.live.where((t) => t.priority >= 3);
    const highOpen = high.filter((t) => !t.completed);
    expect(ids(highOpen)).toEqual(["b", "c"]);
    store.todo.update("c", (d) => {
      d.completed = true;
    });
    store.todo.update("a", (d) => {
      d.priority = 4;
    });
    expect(ids(high)).toEqual(["a", "b", "c"]);
    expect(ids(highOpen)).toEqual(["a", "b"]);
  });

  it("only sees its own collection", () => {
    const store = make();
    const todos = store.todo.live.where(() => true);
    store.note.upsert("n", { body: "x", updatedAt: 1 });
    expect(todos).toHaveLength(0);
  });
});

describe("orderBy", () => {
  it("sorts by a field or a function, ascending by default, descending on request", () => {
    const store = make();
    store.todo.upsertMany([todo("a", { priority: 2 }), todo("b", { priority: 5 }), todo("c", { priority: 1 })]);
    expect(ids(store.todo.live.orderBy("priority"))).toEqual(["c", "a", "b"]);
    expect(ids(store.todo.live.orderBy("priority", "asc"))).toEqual(["c", "a", "b"]);
    expect(ids(store.todo.live.orderBy("priority", "desc"))).toEqual(["b", "a", "c"]);
    expect(ids(store.todo.live.orderBy((t) => -t.priority))).toEqual(["b", "a", "c"]);
  });

  it("orders equal keys by id, in both directions (a stable, history-free order)", () => {
    const store = make();
    store.todo.upsertMany([todo("c", { priority: 1 }), todo("a", { priority: 1 }), todo("b", { priority: 2 })]);
    expect(ids(store.todo.live.orderBy("priority"))).toEqual(["a", "c", "b"]);
    expect(ids(store.todo.live.orderBy("priority", "desc"))).toEqual(["b", "a", "c"]);
  });

  it("uses the store's key ordering: null/undefined last ascending, Dates by time", () => {
    const store = KalphiteStore<Row>();
    store.row.upsertMany([
      { id: "a", type: "row", rank: null, at: 3 },
      { id: "b", type: "row", rank: 2, at: 1 },
      { id: "c", type: "row", at: 2 },
      { id: "d", type: "row", rank: 1, at: 4 },
    ]);
    expect(ids(store.row.live.orderBy("rank"))).toEqual(["d", "b", "a", "c"]);
    expect(ids(store.row.live.orderBy("rank", "desc"))).toEqual(["a", "c", "b", "d"]);
    expect(ids(store.row.live.orderBy((r) => (r.at === undefined ? undefined : new Date(r.at))))).toEqual(["b", "c", "a", "d"]);
    expect(ids(store.row.live.orderBy("rank"))).toEqual(ids(store.row.orderBy("rank")));
  });

  it("re-places an entity whose key changed, and reports it as moved", () => {
    const store = make();
    store.todo.upsertMany(["a", "b", "c", "d", "e"].map((id, i) => todo(id, { priority: i })));
    const sorted = store.todo.live.orderBy("priority");
    let heard: LiveChange<unknown> | undefined;
    sorted.subscribe((_view, change) => (heard = change));
    const d = store.todo.update("d", (draft) => {
      draft.priority = 0;
    });
    expect(ids(sorted)).toEqual(["a", "d", "b", "c", "e"]); // tie with a: by id
    expect(heard).toEqual({ added: [], removed: [], moved: [d], updated: [d] });
    const b = store.todo.update("b", (draft) => {
      draft.priority = 5;
    });
    expect(ids(sorted)).toEqual(["a", "d", "c", "e", "b"]);
    expect(heard).toEqual({ added: [], removed: [], moved: [b], updated: [b] });
  });

  it("replaces in place when the new key keeps the entity between its neighbours (updated, not moved)", () => {
    const store = KalphiteStore<Row>();
    store.row.upsertMany([1, 10, 20].map((rank, i) => ({ id: `r${i}`, type: "row" as const, rank })));
    const sorted = store.row.live.orderBy("rank");
    let heard: LiveChange<Row> | undefined;
    sorted.subscribe((_view, change) => (heard = change));
    const moved = store.row.upsert("r1", { id: "r1", type: "row", rank: 15 });
    expect(ids(sorted)).toEqual(["r0", "r1", "r2"]);
    expect(sorted[1]).toBe(moved);
    expect(heard).toEqual({ added: [], removed: [], moved: [], updated: [moved] });
  });

  it("inserts and deletes at their sorted place", () => {
    const store = make();
    store.todo.upsertMany([todo("a", { priority: 1 }), todo("c", { priority: 3 })]);
    const sorted = store.todo.live.orderBy("priority");
    store.todo.upsert("b", todo("b", { priority: 2 }));
    store.todo.upsert("z", todo("z", { priority: 0 }));
    store.todo.upsert("y", todo("y", { priority: 5 }));
    expect(ids(sorted)).toEqual(["z", "a", "b", "c", "y"]);
    store.todo.delete("b");
    store.todo.delete("z");
    expect(ids(sorted)).toEqual(["a", "c", "y"]);
  });

  it("sorts a filtered view, and filters a sorted one", () => {
    const store = make();
    store.todo.upsertMany([todo("a", { priority: 3 }), todo("b", { priority: 1, completed: true }), todo("c", { priority: 2 })]);
    const openSorted = store.todo.live.where((t) => !t.completed).orderBy("priority");
    const sortedOpen = store.todo.live.orderBy("priority").filter((t) => !t.completed);
    expect(ids(openSorted)).toEqual(["c", "a"]);
    expect(ids(sortedOpen)).toEqual(["c", "a"]);
    store.todo.update("b", (d) => {
      d.completed = false;
    });
    store.todo.update("a", (d) => {
      d.priority = 0;
    });
    expect(ids(openSorted)).toEqual(["a", "b", "c"]);
    expect(ids(sortedOpen)).toEqual(["a", "b", "c"]);
  });

  it("re-sorting a sorted view by another key works", () => {
    const store = make();
    store.todo.upsertMany([todo("a", { priority: 1, title: "z" }), todo("b", { priority: 2, title: "y" })]);
    const byTitle = store.todo.live.orderBy("priority").orderBy("title");
    expect(ids(byTitle)).toEqual(["b", "a"]);
    store.todo.update("a", (d) => {
      d.title = "a";
    });
    expect(ids(byTitle)).toEqual(["a", "b"]);
  });
});
