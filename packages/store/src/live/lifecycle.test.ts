import { describe, expect, it, vi } from "vitest";
import { KalphiteError, KalphiteStore, StoreErrorCode } from "../index";
import { AppSchema, todo } from "../test-fixtures";
import { ids, observerCount } from "./test-helpers";

const make = () => {
  const store = KalphiteStore(AppSchema);
  store.todo.upsertMany([todo("a", { priority: 1 }), todo("b", { priority: 2 })]);
  return store;
};

const codeOf = (call: () => unknown): string | undefined => {
  try {
    call();
  } catch (error) {
    return (error as KalphiteError).code;
  }
  return undefined;
};

describe("disposing a view", () => {
  it("removes the store observer once the collection's last view is gone", () => {
    const store = make();
    const view = store.todo.live.where((t) => t.priority > 0);
    expect(observerCount(store.todo)).toBe(1);
    view.dispose();
    expect(view.disposed).toBe(true);
    expect(observerCount(store.todo)).toBe(0);
    view.dispose(); // idempotent
  });

  it("stops all work: a disposed view no longer changes and runs no predicate", () => {
    const store = make();
    const predicate = vi.fn((t: { priority: number }) => t.priority > 0);
    const view = store.todo.live.where(predicate);
    const listener = vi.fn();
    view.subscribe(listener);
    view.dispose();
    predicate.mockClear();
    store.todo.upsert("c", todo("c", { priority: 3 }));
    expect(predicate).not.toHaveBeenCalled();
    expect(listener).not.toHaveBeenCalled();
    expect(ids(view)).toEqual(["a", "b"]); // what it held when disposed
  });

  it("disposes the upstream views a chain made for it, but not ones with subscribers or other views", () => {
    const store = make();
    const where = store.todo.live.where((t) => t.priority > 0);
    const sorted = where.orderBy("priority");
    const top = sorted.limit(1);
    top.dispose();
    expect([where.disposed, sorted.disposed, top.disposed]).toEqual([true, true, true]);
    expect(observerCount(store.todo)).toBe(0);

    const base = store.todo.live.where((t) => t.priority > 0);
    const one = base.orderBy("title");
    const two = base.limit(1);
    one.dispose();
    expect(base.disposed).toBe(false); // still feeds `two`
    const listened = two.orderBy("priority");
    two.subscribe(() => {});
    listened.dispose();
    expect(two.disposed).toBe(false); // has its own subscriber
    two.dispose();
    expect(base.disposed).toBe(true);
    expect(observerCount(store.todo)).toBe(0);
  });

  it("disposes the views built on it", () => {
    const store = make();
    const base = store.todo.live.orderBy("priority");
    const derived = base.where((t) => t.priority > 1).limit(1);
    const groups = base.groupBy("priority");
    base.dispose();
    expect(derived.disposed).toBe(true);
    expect(groups.disposed).toBe(true);
    expect(observerCount(store.todo)).toBe(0);
  });

  it("a hidden copy made for limit/offset on the collection goes with the window", () => {
    const store = make();
    const first = store.todo.live.limit(1);
    const rest = store.todo.live.offset(1);
    first.dispose();
    rest.dispose();
    expect(observerCount(store.todo)).toBe(0);
  });

  it("use after dispose: subscribe and chaining throw VIEW_DISPOSED with a clear message", () => {
    const store = make();
    const view = store.todo.live.orderBy("priority");
    view.dispose();
    expect(codeOf(() => view.subscribe(() => {}))).toBe(StoreErrorCode.ViewDisposed);
    expect(() => view.subscribe(() => {})).toThrow(/live view of store\.todo\.subscribe: this live view was disposed/);
    for (const step of [() => view.where(() => true), () => view.filter(() => true), () => view.orderBy("title"), () => view.limit(1), () => view.offset(1), () => view.groupBy("priority")]) {
      expect(codeOf(step)).toBe(StoreErrorCode.ViewDisposed);
    }
    expect(ids(view.slice())).toEqual(["a", "b"]); // reading still works
    expect(observerCount(store.todo)).toBe(0);
  });

  it("subscribe refuses a non-function", () => {
    const store = make();
    const view = store.todo.live.orderBy("priority");
    expect(codeOf(() => view.subscribe(42 as never))).toBe(StoreErrorCode.InvalidArgument);
  });

  it("views of a collection keep working after the last one was disposed and a new one is made", () => {
    const store = make();
    store.todo.live.where(() => true).dispose();
    const again = store.todo.live.where((t) => t.priority > 1);
    store.todo.upsert("c", todo("c", { priority: 3 }));
    expect(ids(again)).toEqual(["b", "c"]);
    expect(observerCount(store.todo)).toBe(1);
  });

  it("disposing inside a batch: the view stops, the rest still flush once", () => {
    const store = make();
    const a = store.todo.live.where(() => true);
    const b = store.todo.live.orderBy("priority");
    const heard = vi.fn();
    b.subscribe(heard);
    store.batch(() => {
      store.todo.upsert("c", todo("c", { priority: 0 }));
      a.dispose();
      store.todo.upsert("d", todo("d", { priority: 5 }));
    });
    expect(heard).toHaveBeenCalledTimes(1);
    expect(ids(b)).toEqual(["c", "a", "b", "d"]);
    expect(ids(a)).toEqual(["a", "b", "c"]);
  });
});
