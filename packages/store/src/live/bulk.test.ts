import { afterEach, describe, expect, it } from "vitest";
import { KalphiteStore } from "../index";
import { AppSchema, todo, type TodoEntity } from "../test-fixtures";
import { bulkTuning } from "./live-node";
import type { LiveChange } from "./live-types";
import { ids } from "./test-helpers";

afterEach(() => {
  bulkTuning.minWork = 1 << 20;
});

/** n todos whose titles sort in a scrambled order relative to their ids. */
const scrambled = (n: number, prefix = "t") =>
  Array.from({ length: n }, (_, i) => todo(`${prefix}${i}`, { title: String((i * 7919) % n).padStart(6, "0"), priority: i % 6, completed: i % 4 === 0 }));

const bySortedTitle = (todos: readonly TodoEntity[]) =>
  [...todos].sort((a, b) => (a.title < b.title ? -1 : a.title > b.title ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

describe("big batches", () => {
  it("loadEntities of many rows into an observed, sorted collection: right contents, one notification", () => {
    const store = KalphiteStore(AppSchema);
    const open = store.todo.live.where((t) => !t.completed).orderBy("title");
    const top = open.limit(5);
    const heard: LiveChange<TodoEntity>[] = [];
    open.subscribe((_v, change) => heard.push(change));
    const topHeard: LiveChange<TodoEntity>[] = [];
    top.subscribe((_v, change) => topHeard.push(change));
    const todos = scrambled(20_000);
    store.loadEntities(todos);
    const expected = bySortedTitle(todos.filter((t) => !t.completed));
    expect(ids(open)).toEqual(ids(expected));
    expect(ids(top)).toEqual(ids(expected.slice(0, 5)));
    expect(heard).toHaveLength(1);
    expect(heard[0]!.added).toHaveLength(15_000);
    expect(topHeard).toHaveLength(1);
    expect(ids(topHeard[0]!.added)).toEqual(ids(expected.slice(0, 5)));
  });

  it("a second big load into a populated view reports only what changed", () => {
    const store = KalphiteStore(AppSchema);
    const todos = scrambled(10_000);
    store.loadEntities(todos);
    const sorted = store.todo.live.orderBy("title");
    const heard: LiveChange<TodoEntity>[] = [];
    sorted.subscribe((_v, change) => heard.push(change));
    const changed = todos.slice(0, 2_500).map((t) => ({ ...t, title: `x${t.title}` })); // re-sorted to the end
    const added = scrambled(2_500, "n");
    store.loadEntities([...changed, ...added]);
    expect(ids(sorted)).toEqual(ids(bySortedTitle(store.todo)));
    expect(heard).toHaveLength(1);
    const { added: a, removed, updated, moved } = heard[0]!;
    expect(a).toHaveLength(2_500);
    expect(removed).toHaveLength(0);
    expect(updated).toHaveLength(2_500);
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.every((t) => t.title.startsWith("x"))).toBe(true);
  });

  it("clear() of a big observed collection empties every view with one notification", () => {
    const store = KalphiteStore(AppSchema);
    store.loadEntities(scrambled(10_000));
    const sorted = store.todo.live.orderBy("title");
    const open = store.todo.live.where((t) => !t.completed);
    let calls = 0;
    sorted.subscribe((_v, change) => {
      calls++;
      expect(change.removed).toHaveLength(10_000);
    });
    store.clear();
    expect(sorted).toHaveLength(0);
    expect(open).toHaveLength(0);
    expect(calls).toBe(1);
  });

  it("below the budget a batch stays incremental: views are current inside it", () => {
    const store = KalphiteStore(AppSchema);
    store.loadEntities(scrambled(1_000));
    const sorted = store.todo.live.orderBy("title");
    store.batch(() => {
      for (let i = 0; i < 50; i++) {
        store.todo.update(`t${i}`, (d) => {
          d.title = `z${String(i).padStart(3, "0")}`;
        });
        expect(sorted.at(-1)!.title).toBe(`z${String(i).padStart(3, "0")}`);
      }
    });
  });

  it("past the budget a view rebuilds once at the end of the batch and stays correct afterwards", () => {
    bulkTuning.minWork = 0;
    const store = KalphiteStore(AppSchema);
    store.loadEntities(scrambled(2_000));
    const sorted = store.todo.live.where((t) => t.priority > 1).orderBy("title", "desc").offset(10).limit(100);
    store.batch(() => {
      for (let i = 0; i < 500; i++) {
        store.todo.update(`t${i}`, (d) => {
          d.priority = (d.priority + 1) % 6;
        });
      }
    });
    const expected = bySortedTitle(store.todo.filter((t) => t.priority > 1)).reverse().slice(10, 110);
    expect(ids(sorted)).toEqual(ids(expected));
    bulkTuning.minWork = 1 << 20;
    store.todo.update("t1999", (d) => {
      d.title = "zzz";
    });
    expect(ids(sorted)).toEqual(ids(bySortedTitle(store.todo.filter((t) => t.priority > 1)).reverse().slice(10, 110)));
  });
});
