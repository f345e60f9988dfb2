import { describe, expect, it } from "vitest";
import { KalphiteError, KalphiteStore, LiveGroups, StoreErrorCode } from "../index";
import { AppSchema, todo } from "../test-fixtures";
import type { LiveGroupsChange } from "./live-groups";
import type { LiveChange } from "./live-types";
import { ids, observerCount } from "./test-helpers";

const make = () => {
  const store = KalphiteStore(AppSchema);
  store.todo.upsertMany([todo("a", { priority: 1 }), todo("b", { priority: 2 }), todo("c", { priority: 1 }), todo("d", { priority: 3 })]);
  return store;
};
const entries = <K>(groups: ReadonlyMap<K, readonly { id: string }[]>) => [...groups].map(([k, v]) => [k, ids(v)]);

describe("groupBy", () => {
  it("is a live Map from key to a live view of that group, in the upstream's order", () => {
    const store = make();
    const groups = store.todo.live.groupBy("priority");
    expect(groups).toBeInstanceOf(Map);
    expect(groups).toBeInstanceOf(LiveGroups);
    expect(entries(groups)).toEqual([[1, ["a", "c"]], [2, ["b"]], [3, ["d"]]]);
    const ones = groups.get(1)!;
    expect(Array.isArray(ones)).toBe(true);
    store.todo.upsert("e", todo("e", { priority: 1 }));
    expect(ids(ones)).toEqual(["a", "c", "e"]);
    expect(groups.get(1)).toBe(ones);
  });

  it("moves an entity between groups, creates groups for new keys and removes emptied ones", () => {
    const store = make();
    const groups = store.todo.live.groupBy((t) => t.priority);
    const twos = groups.get(2)!;
    store.todo.update("b", (d) => {
      d.priority = 1;
    });
    expect(entries(groups)).toEqual([[1, ["a", "b", "c"]], [3, ["d"]]]);
    expect(twos.disposed).toBe(true); // its group emptied: the view is gone with it
    store.todo.update("d", (d) => {
      d.priority = 5;
    });
    expect(entries(groups)).toEqual([[1, ["a", "b", "c"]], [5, ["d"]]]);
    expect(entries(groups)).toEqual(entries(store.todo.groupBy((t) => t.priority)));
  });

  it("groups a sorted view, each group in that order, and its groups chain further", () => {
    const store = make();
    const groups = store.todo.live.orderBy("title", "desc").groupBy((t) => t.priority % 2);
    expect(entries(groups)).toEqual([[1, ["d", "c", "a"]], [0, ["b"]]]);
    const oddTop = groups.get(1)!.limit(1);
    expect(ids(oddTop)).toEqual(["d"]);
    store.todo.delete("d");
    expect(ids(oddTop)).toEqual(["c"]);
  });

  it("tells its subscribers which groups appeared, disappeared or changed, once per batch", () => {
    const store = make();
    const groups = store.todo.live.groupBy("priority");
    const heard: LiveGroupsChange<number>[] = [];
    groups.subscribe((map, change) => {
      expect(map).toBe(groups);
      heard.push(change);
    });
    store.batch(() => {
      store.todo.update("b", (d) => {
        d.priority = 4;
      }); // 2 disappears, 4 appears
      store.todo.update("a", (d) => {
        d.title = "new title";
      }); // 1 changes
    });
    expect(heard).toEqual([{ added: [4], removed: [2], changed: [1] }]);
    store.todo.update("d", (d) => {
      d.priority = 3;
    }); // a recipe that changes nothing stores nothing
    expect(heard).toHaveLength(1);
  });

  it("a group emptied and refilled in one batch keeps its view", () => {
    const store = make();
    const groups = store.todo.live.groupBy("priority");
    const threes = groups.get(3)!;
    const heard: LiveChange<unknown>[] = [];
    threes.subscribe((_view, change) => heard.push(change));
    let mapChanges = 0;
    groups.subscribe(() => mapChanges++);
    store.batch(() => {
      store.todo.delete("d");
      expect(groups.has(3)).toBe(false);
      store.todo.upsert("x", todo("x", { priority: 3 }));
    });
    expect(groups.get(3)).toBe(threes);
    expect(threes.disposed).toBe(false);
    expect(ids(threes)).toEqual(["x"]);
    expect(heard).toHaveLength(1);
    expect(mapChanges).toBe(1);
  });

  it("group views' subscribers hear the last removals before the group goes", () => {
    const store = make();
    const groups = store.todo.live.groupBy("priority");
    const threes = groups.get(3)!;
    const heard: LiveChange<{ id: string }>[] = [];
    threes.subscribe((_view, change) => heard.push(change));
    store.todo.delete("d");
    expect(ids(heard[0]!.removed)).toEqual(["d"]);
    expect(threes.disposed).toBe(true);
  });

  it("is read-only, and disposes as a whole", () => {
    const store = make();
    const groups = store.todo.live.groupBy("priority");
    const ones = groups.get(1)!;
    for (const write of [() => groups.set(9, ones), () => groups.delete(1), () => groups.clear()]) {
      expect(write).toThrow(KalphiteError);
      expect(write).toThrow(/read-only/);
    }
    expect(() => ones.dispose()).toThrow(/dispose the map instead/);
    const derived = ones.orderBy("title");
    expect(observerCount(store.todo)).toBe(1);
    groups.dispose();
    expect(groups.disposed).toBe(true);
    expect(ones.disposed).toBe(true);
    expect(derived.disposed).toBe(true);
    expect(observerCount(store.todo)).toBe(0);
    let error: unknown;
    try {
      groups.subscribe(() => {});
    } catch (e) {
      error = e;
    }
    expect((error as KalphiteError).code).toBe(StoreErrorCode.ViewDisposed);
  });

  it("regroups once, at the end, a batch so big its sorted upstream rebuilds", () => {
    const store = KalphiteStore(AppSchema);
    const groups = store.todo.live.orderBy("title").groupBy("priority");
    const heard: LiveGroupsChange<number>[] = [];
    groups.subscribe((_m, change) => heard.push(change));
    // Titles in scrambled order: inserting them one by one into a sorted view would shift it each time.
    const todos = Array.from({ length: 30_000 }, (_, i) => todo(`t${i}`, { priority: i % 3, title: String((i * 7919) % 30_000).padStart(5, "0") }));
    store.loadEntities(todos);
    expect(heard).toEqual([{ added: [0, 1, 2], removed: [], changed: [] }]);
    const expected = store.todo.groupBy((t) => t.priority);
    for (const [key, group] of groups) {
      expect(ids(group)).toEqual(ids([...expected.get(key)!].sort((a, b) => (a.title < b.title ? -1 : 1))));
    }
  });
});
