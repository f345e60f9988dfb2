import { describe, expect, it } from "vitest";
import { KalphiteError, KalphiteStore, LiveQuery, StoreErrorCode } from "../index";
import { AppSchema, todo } from "../test-fixtures";
import { ids, observerCount } from "./test-helpers";

const make = () => {
  const store = KalphiteStore(AppSchema);
  store.todo.upsertMany([todo("a", { priority: 2 }), todo("b", { priority: 5, completed: true }), todo("c", { priority: 1 })]);
  return store;
};

describe("collection.live", () => {
  it("is the same query root on every access and observes nothing until a view is made", () => {
    const store = make();
    expect(store.todo.live).toBe(store.todo.live);
    expect(store.todo.live).toBeInstanceOf(LiveQuery);
    expect(store.note.live).not.toBe(store.todo.live);
    expect(observerCount(store.todo)).toBe(0);
    const view = store.todo.live.where((t) => !t.completed);
    expect(observerCount(store.todo)).toBe(1);
    view.dispose();
    expect(observerCount(store.todo)).toBe(0);
  });

  it("starts every step: filter, where, orderBy, limit, offset, groupBy", () => {
    const store = make();
    const live = store.todo.live;
    expect(ids(live.filter((t) => t.priority > 1))).toEqual(["a", "b"]);
    expect(ids(live.where((t) => t.priority > 1))).toEqual(["a", "b"]);
    expect(ids(live.orderBy("priority"))).toEqual(["c", "a", "b"]);
    expect(ids(live.orderBy((t) => t.title, "desc"))).toEqual(["c", "b", "a"]);
    expect(ids(live.limit(2))).toEqual(["a", "b"]);
    expect(ids(live.offset(1))).toEqual(["b", "c"]);
    expect([...live.groupBy("completed").keys()]).toEqual([false, true]);
  });

  it("shares one store observer between all the views of a collection", () => {
    const store = make();
    const a = store.todo.live.where((t) => t.priority > 1);
    const b = store.todo.live.orderBy("priority");
    const c = a.orderBy("title").limit(1);
    expect(observerCount(store.todo)).toBe(1);
    a.dispose(); // and c, built on it
    expect(c.disposed).toBe(true);
    expect(observerCount(store.todo)).toBe(1);
    b.dispose();
    expect(observerCount(store.todo)).toBe(0);
  });

  it("chains the spec's example and keeps it current", () => {
    const store = make();
    const open = store.todo.live.where((t) => !t.completed).orderBy("priority", "desc").limit(20);
    expect(ids(open)).toEqual(["a", "c"]);
    store.todo.update("b", (d) => {
      d.completed = false;
    });
    expect(ids(open)).toEqual(["b", "a", "c"]);
  });

  it("refuses bad arguments with a KalphiteError that says what is wrong, leaving nothing behind", () => {
    const store = make();
    const live = store.todo.live;
    const bad: [() => unknown, RegExp][] = [
      [() => live.filter(42 as never), /store\.todo\.live\.filter\(predicate\): predicate must be a function/],
      [() => live.where(undefined as never), /where\(predicate\)/],
      [() => live.orderBy({} as never), /orderBy\(key\): key must be a field name or a function/],
      [() => live.orderBy("priority", "up" as never), /direction must be "asc" or "desc"/],
      [() => live.limit(-1), /limit\(n\): n must be an integer ≥ 0 \(or Infinity\)/],
      [() => live.limit(1.5), /limit\(n\)/],
      [() => live.limit("3" as never), /limit\(n\)/],
      [() => live.offset(Infinity), /offset\(n\): n must be an integer ≥ 0, not Infinity/],
      [() => live.groupBy(null as never), /groupBy\(key\)/],
    ];
    for (const [call, message] of bad) {
      let error: unknown;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(KalphiteError);
      expect((error as KalphiteError).code).toBe(StoreErrorCode.InvalidArgument);
      expect((error as Error).message).toMatch(message);
    }
    expect(observerCount(store.todo)).toBe(0);
    const sorted = live.orderBy("priority");
    expect(() => sorted.limit(-2)).toThrow(/live view of store\.todo\.limit\(n\)/);
    sorted.dispose();
    expect(observerCount(store.todo)).toBe(0);
  });

  it("accepts limit(Infinity), limit(0) and offset(0)", () => {
    const store = make();
    expect(ids(store.todo.live.limit(Infinity))).toEqual(["a", "b", "c"]);
    expect(ids(store.todo.live.limit(0))).toEqual([]);
    expect(ids(store.todo.live.offset(0))).toEqual(["a", "b", "c"]);
  });

  it("a predicate that throws while a view is built fails the step and leaves no observer", () => {
    const store = make();
    expect(() =>
      store.todo.live.where(() => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(() =>
      store.todo.live.groupBy(() => {
        throw new Error("bang");
      }),
    ).toThrow("bang");
    expect(observerCount(store.todo)).toBe(0);
  });
});
