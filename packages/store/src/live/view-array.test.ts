import { describe, expect, it } from "vitest";
import { KalphiteError, KalphiteStore, StoreErrorCode } from "../index";
import { AppSchema, todo } from "../test-fixtures";
import { ids } from "./test-helpers";

const make = () => {
  const store = KalphiteStore(AppSchema);
  store.todo.upsertMany([todo("a", { priority: 3 }), todo("b", { priority: 1 }), todo("c", { priority: 2 })]);
  return store;
};

describe("a live view is a real, read-only array", () => {
  it("is an array, the same object for its whole life, always current", () => {
    const store = make();
    const view = store.todo.live.orderBy("priority");
    expect(Array.isArray(view)).toBe(true);
    expect(view).toBeInstanceOf(Array);
    expect(view).toEqual([store.todo.findById("b"), store.todo.findById("c"), store.todo.findById("a")]);
    expect(view).toStrictEqual([store.todo.findById("b"), store.todo.findById("c"), store.todo.findById("a")]);
    const same = view;
    store.todo.delete("c");
    expect(same).toBe(view);
    expect(view.length).toBe(2);
    expect(view[0]!.id).toBe("b");
    expect(JSON.parse(JSON.stringify(view)).map((t: { id: string }) => t.id)).toEqual(["b", "a"]);
    expect(Object.keys(view)).toEqual(["0", "1"]);
  });

  it("read methods work and return plain arrays", () => {
    const store = make();
    const view = store.todo.live.orderBy("priority");
    const mapped = view.map((t) => t.id);
    expect(mapped).toEqual(["b", "c", "a"]);
    expect(Object.getPrototypeOf(mapped)).toBe(Array.prototype);
    const sliced = view.slice(1);
    expect(Object.getPrototypeOf(sliced)).toBe(Array.prototype);
    expect(ids(sliced)).toEqual(["c", "a"]);
    expect(view.find((t) => t.priority === 2)?.id).toBe("c");
    expect(view.findIndex((t) => t.priority === 2)).toBe(1);
    expect(view.findLast((t) => t.priority > 1)?.id).toBe("a");
    expect(view.findLastIndex((t) => t.priority > 5)).toBe(-1);
    expect(view.some((t) => t.id === "a")).toBe(true);
    expect(view.every((t) => t.priority > 1)).toBe(false);
    expect(view.reduce((sum, t) => sum + t.priority, 0)).toBe(6);
    expect(view.reduceRight((acc, t) => acc + t.id, "")).toBe("acb");
    expect(view.map((t) => t.id).reduce((a, b) => a + b)).toBe("bca");
    expect(view.flatMap((t) => [t.id, t.priority])).toEqual(["b", 1, "c", 2, "a", 3]);
    expect(view.includes(store.todo.findById("a")!)).toBe(true);
    expect(view.indexOf(store.todo.findById("a")!)).toBe(2);
    expect(view.at(-1)?.id).toBe("a");
    expect(ids(view.toReversed())).toEqual(["a", "c", "b"]);
    expect(ids(view.toSorted((x, y) => x.id.localeCompare(y.id)))).toEqual(["a", "b", "c"]);
    expect(ids(view.concat([]))).toEqual(["b", "c", "a"]);
    expect([...view.keys()]).toEqual([0, 1, 2]);
    expect([...view.entries()].map(([i, t]) => `${i}${t.id}`)).toEqual(["0b", "1c", "2a"]);
    expect(ids(Array.from(view))).toEqual(["b", "c", "a"]);
    const seen: string[] = [];
    view.forEach((t, i, array) => {
      expect(array).toBe(view);
      seen.push(`${i}${t.id}`);
    });
    expect(seen).toEqual(["0b", "1c", "2a"]);
    expect(store.todo.live.where(() => false).reduce((sum, t) => sum + t.priority, 0)).toBe(0);
    expect(() => store.todo.live.where(() => false).reduce((a) => a)).toThrow(TypeError);
  });

  it("refuses every write with a KalphiteError saying views are read-only", () => {
    const store = make();
    const view = store.todo.live.orderBy("priority");
    const e = store.todo.findById("a")!;
    const writes: (() => unknown)[] = [
      () => view.push(e),
      () => view.pop(),
      () => view.shift(),
      () => view.unshift(e),
      () => view.splice(0, 1),
      () => view.sort(),
      () => view.reverse(),
      () => view.fill(e),
      () => view.copyWithin(0, 1),
      () => {
        (view as unknown as unknown[])[0] = e;
      },
      () => {
        view.length = 0;
      },
      () => delete (view as unknown as unknown[])[0],
      () => Object.defineProperty(view, "x", { value: 1 }),
      () => Object.freeze(view),
      () => {
        (view as unknown as { subscribe: unknown }).subscribe = null;
      },
    ];
    for (const write of writes) {
      let error: unknown;
      try {
        write();
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(KalphiteError);
      expect((error as KalphiteError).code).toBe(StoreErrorCode.UnsupportedMutation);
      expect((error as Error).message).toMatch(/live views are read-only/);
    }
    expect(ids(view)).toEqual(["b", "c", "a"]);
  });

  it("filter on a view builds a live view; spread or slice first for a one-off plain filter", () => {
    const store = make();
    const view = store.todo.live.orderBy("priority");
    const high = view.filter((t) => t.priority > 1);
    expect(typeof high.subscribe).toBe("function");
    const plain = [...view].filter((t) => t.priority > 1);
    store.todo.upsert("d", todo("d", { priority: 5 }));
    expect(ids(high)).toEqual(["c", "a", "d"]);
    expect(ids(plain)).toEqual(["c", "a"]);
  });
});

describe("reading a view while the store changes", () => {
  it("for…of sees the contents as they were when the loop began, even when its body writes", () => {
    const store = make();
    const open = store.todo.live.where((t) => !t.completed).orderBy("priority");
    const visited: string[] = [];
    for (const t of open) {
      visited.push(t.id);
      store.todo.update(t.id, (d) => {
        d.completed = true;
      });
    }
    expect(visited).toEqual(["b", "c", "a"]);
    expect(open).toHaveLength(0);
  });

  it("forEach, map, some, find and reduce do too; the view itself is always current", () => {
    const store = make();
    const sorted = store.todo.live.orderBy("priority");
    const seen: string[] = [];
    sorted.forEach((t) => {
      seen.push(t.id);
      store.todo.delete(t.id);
      expect(sorted.includes(t)).toBe(false); // already current inside the loop
    });
    expect(seen).toEqual(["b", "c", "a"]);
    store.todo.upsertMany([todo("x", { priority: 1 }), todo("y", { priority: 2 })]);
    expect(
      sorted.map((t) => {
        store.todo.upsert("z", todo("z", { priority: 0 }));
        return t.id;
      }),
    ).toEqual(["x", "y"]);
    expect(ids(sorted)).toEqual(["z", "x", "y"]);
    expect(sorted.reduce((acc, t) => (store.todo.delete("y"), acc + t.id), "")).toBe("zxy");
    expect(ids(sorted)).toEqual(["z", "x"]);
  });

  it("an iterator abandoned half-way does not hold the view (break, or just dropped)", () => {
    const store = make();
    const sorted = store.todo.live.orderBy("priority");
    for (const t of sorted) {
      if (t.id === "b") break;
    }
    const dropped = sorted[Symbol.iterator]();
    dropped.next();
    store.todo.delete("a");
    expect(ids(sorted)).toEqual(["b", "c"]);
    expect(dropped.next().value?.id).toBe("c");
    expect(dropped.next().value?.id).toBe("a"); // the snapshot it was handed
    expect(dropped.next().done).toBe(true);
  });
});
