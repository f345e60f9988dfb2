import { describe, expect, it, vi } from "vitest";
import { KalphiteStore } from "../index";
import { AppSchema, todo, type TodoEntity } from "../test-fixtures";
import type { LiveChange, LiveView } from "./live-types";
import { ids } from "./test-helpers";

const make = (onListenerError?: (error: unknown, context: { entityType?: string | undefined }) => void) => {
  const store = KalphiteStore(AppSchema, onListenerError ? { onListenerError } : {});
  store.todo.upsertMany([todo("a", { priority: 1 }), todo("b", { priority: 2 }), todo("c", { priority: 3, completed: true })]);
  return store;
};

describe("live view subscribers", () => {
  it("hear (view, change) once per store batch, with what was added, removed and updated", () => {
    const store = make();
    const open = store.todo.live.where((t) => !t.completed);
    const heard: [LiveView<TodoEntity>, LiveChange<TodoEntity>][] = [];
    open.subscribe((view, change) => heard.push([view, change]));
    const a0 = store.todo.findById("a")!;
    const b0 = store.todo.findById("b")!;
    let a1: TodoEntity | undefined;
    let c1: TodoEntity | undefined;
    store.batch(() => {
      a1 = store.todo.update("a", (d) => {
        d.title = "a, renamed";
      });
      store.todo.delete("b");
      c1 = store.todo.update("c", (d) => {
        d.completed = false;
      });
    });
    expect(heard).toHaveLength(1);
    const [view, change] = heard[0]!;
    expect(view).toBe(open);
    expect(change).toEqual({ added: [c1], removed: [b0], moved: [], updated: [a1] });
    expect(a1).not.toBe(a0);
  });

  it("are not called when the view's contents did not change", () => {
    const store = make();
    const open = store.todo.live.where((t) => !t.completed);
    const listener = vi.fn();
    open.subscribe(listener);
    store.todo.update("c", (d) => {
      d.title = "still done";
    }); // not in the view
    store.batch(() => {
      store.todo.upsert("x", todo("x"));
      store.todo.delete("x"); // in and out within one batch
    });
    store.note.upsert("n", { body: "another collection", updatedAt: 1 });
    expect(listener).not.toHaveBeenCalled();
  });

  it("in collection order, a delete and re-insert within one batch is a move to the end", () => {
    const store = make();
    const open = store.todo.live.where((t) => !t.completed);
    const heard: LiveChange<TodoEntity>[] = [];
    open.subscribe((_view, change) => heard.push(change));
    let a1: TodoEntity | undefined;
    store.batch(() => {
      const a0 = store.todo.findById("a")!;
      store.todo.delete("a");
      a1 = store.todo.upsert("a", a0); // validated again: a new object
    });
    expect(ids(open)).toEqual(["b", "a"]);
    expect(heard).toEqual([{ added: [], removed: [], moved: [a1], updated: [a1] }]);
  });

  it("unsubscribe stops the calls but keeps the view current", () => {
    const store = make();
    const open = store.todo.live.where((t) => !t.completed);
    const listener = vi.fn();
    const stop = open.subscribe(listener);
    stop();
    stop();
    store.todo.upsert("x", todo("x"));
    expect(listener).not.toHaveBeenCalled();
    expect(ids(open)).toEqual(["a", "b", "x"]);
  });

  it("store listeners that read a view see it already current", () => {
    const store = make();
    const sorted = store.todo.live.orderBy("priority", "desc").limit(2);
    const seen: string[][] = [];
    store.subscribe(() => seen.push(ids(sorted)));
    store.todo.subscribe(() => seen.push(ids(sorted)));
    store.todo.upsert("z", todo("z", { priority: 5 }));
    expect(seen).toEqual([["z", "c"], ["z", "c"]]);
  });

  it("a subscriber that writes gets a consistent view, and hears about its own write next", () => {
    const store = make();
    const open = store.todo.live.where((t) => !t.completed).orderBy("priority");
    const heard: string[][] = [];
    open.subscribe((view, change) => {
      heard.push(ids(change.added));
      if (view.length < 4) store.todo.upsert(`n${view.length}`, todo(`n${view.length}`, { priority: 5 }));
      expect(ids(view)).toEqual(ids(store.todo.filter((t) => !t.completed).sort((x, y) => x.priority - y.priority || (x.id < y.id ? -1 : 1))));
    });
    store.todo.upsert("x", todo("x"));
    expect(heard).toEqual([["x"], ["n3"]]);
    expect(ids(open)).toEqual(["x", "a", "b", "n3"]);
  });

  it("a throwing subscriber is reported like a throwing store listener, and does not stop the others or the store", () => {
    const reported: unknown[] = [];
    const store = make((error, context) => reported.push([error, context.entityType]));
    const open = store.todo.live.where((t) => !t.completed);
    const after = vi.fn();
    const boom = new Error("subscriber failed");
    open.subscribe(() => {
      throw boom;
    });
    open.subscribe(after);
    const storeListener = vi.fn();
    store.subscribe(storeListener);
    store.todo.upsert("x", todo("x"));
    expect(after).toHaveBeenCalledTimes(1);
    expect(storeListener).toHaveBeenCalledTimes(1);
    expect(reported).toEqual([[boom, "todo"]]);
    expect(ids(open)).toEqual(["a", "b", "x"]);
  });

  it("a predicate that throws on a change is reported; the write and the other views go through", () => {
    const reported: unknown[] = [];
    const store = make((error) => reported.push(error));
    const picky = store.todo.live.where((t) => {
      if (t.title === "explode") throw new Error("bad predicate");
      return true;
    });
    const all = store.todo.live.orderBy("priority");
    store.todo.upsert("x", todo("x", { title: "explode" }));
    expect(store.todo.findById("x")).toBeDefined();
    expect(ids(all)).toContain("x");
    expect(ids(picky)).not.toContain("x");
    expect(reported).toHaveLength(1);
    expect((reported[0] as Error).message).toBe("bad predicate");
  });

  it("several subscribers of several views each hear once; a subscriber may dispose its view", () => {
    const store = make();
    const a = store.todo.live.where((t) => t.priority > 1);
    const b = a.orderBy("title");
    const calls: string[] = [];
    a.subscribe(() => calls.push("a1"));
    a.subscribe((view) => {
      calls.push("a2");
      view.dispose();
    });
    a.subscribe(() => calls.push("a3"));
    b.subscribe(() => calls.push("b"));
    store.todo.upsert("x", todo("x", { priority: 4 }));
    expect(calls).toEqual(["a1", "a2"]);
    expect(a.disposed).toBe(true);
    expect(b.disposed).toBe(true);
  });
});
