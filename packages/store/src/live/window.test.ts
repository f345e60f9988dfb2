import { describe, expect, it } from "vitest";
import { KalphiteStore } from "../index";
import { AppSchema, todo } from "../test-fixtures";
import type { LiveChange } from "./live-types";
import { ids } from "./test-helpers";

/** Ten todos, t0…t9, with priority = their number. */
const make = () => {
  const store = KalphiteStore(AppSchema);
  store.todo.upsertMany(Array.from({ length: 10 }, (_, i) => todo(`t${i}`, { priority: i % 6, title: `${i}` })));
  return store;
};
const byTitle = (store: ReturnType<typeof make>) => store.todo.live.orderBy((t) => Number(t.title));

describe("limit", () => {
  it("is the first n of its upstream", () => {
    const store = make();
    const top3 = byTitle(store).limit(3);
    expect(ids(top3)).toEqual(["t0", "t1", "t2"]);
  });

  it("pulls the next row in when one leaves the window", () => {
    const store = make();
    const top3 = byTitle(store).limit(3);
    let heard: LiveChange<unknown> | undefined;
    top3.subscribe((_view, change) => (heard = change));
    const t1 = store.todo.findById("t1")!;
    store.todo.delete("t1");
    expect(ids(top3)).toEqual(["t0", "t2", "t3"]);
    expect(heard).toEqual({ added: [store.todo.findById("t3")], removed: [t1], moved: [], updated: [] });
    store.todo.update("t0", (d) => {
      d.title = "100";
    });
    expect(ids(top3)).toEqual(["t2", "t3", "t4"]);
  });

  it("lets a row in and pushes the last one out", () => {
    const store = make();
    const top3 = byTitle(store).limit(3);
    store.todo.upsert("x", todo("x", { title: "0.5" }));
    expect(ids(top3)).toEqual(["t0", "x", "t1"]);
    store.todo.update("t9", (d) => {
      d.title = "-1";
    });
    expect(ids(top3)).toEqual(["t9", "t0", "x"]);
  });

  it("moves rows within the window and ignores changes after it", () => {
    const store = make();
    const top3 = byTitle(store).limit(3);
    let calls = 0;
    top3.subscribe(() => calls++);
    store.todo.update("t8", (d) => {
      d.title = "7.5";
    }); // moves, but after the window
    store.todo.delete("t9");
    expect(calls).toBe(0);
    const t0 = store.todo.update("t0", (d) => {
      d.title = "1.5";
    });
    expect(ids(top3)).toEqual(["t1", "t0", "t2"]);
    expect(calls).toBe(1);
    store.todo.update("t2", (d) => {
      d.completed = true;
    }); // same place, new version
    expect(top3[2]).toBe(store.todo.findById("t2"));
    expect(t0).toBe(top3[1]);
  });

  it("a change before an offset window slides it", () => {
    const store = make();
    const page2 = byTitle(store).offset(3).limit(3);
    expect(ids(page2)).toEqual(["t3", "t4", "t5"]);
    store.todo.delete("t0");
    expect(ids(page2)).toEqual(["t4", "t5", "t6"]);
    store.todo.upsert("a", todo("a", { title: "-5" }));
    store.todo.upsert("b", todo("b", { title: "-4" }));
    expect(ids(page2)).toEqual(["t2", "t3", "t4"]);
    store.todo.update("t1", (d) => {
      d.title = "50";
    }); // from before the window to after it
    expect(ids(page2)).toEqual(["t3", "t4", "t5"]);
  });

  it("limit(0) stays empty; a window past the end fills as rows arrive", () => {
    const store = make();
    const none = byTitle(store).limit(0);
    const tail = byTitle(store).offset(9);
    expect(none).toHaveLength(0);
    expect(ids(tail)).toEqual(["t9"]);
    store.todo.upsert("z", todo("z", { title: "99" }));
    expect(ids(tail)).toEqual(["t9", "z"]);
    store.todo.deleteMany(["t0", "t1"]);
    expect(ids(tail)).toEqual([]);
    expect(none).toHaveLength(0);
  });

  it("works on collection order (no orderBy) and on a filter", () => {
    const store = make();
    const first2 = store.todo.live.limit(2);
    const openFirst2 = store.todo.live.where((t) => !t.completed).limit(2);
    store.todo.delete("t0");
    store.todo.update("t1", (d) => {
      d.completed = true;
    });
    expect(ids(first2)).toEqual(["t1", "t2"]);
    expect(ids(openFirst2)).toEqual(["t2", "t3"]);
  });

  it("composes: limit then offset, limit of a limit", () => {
    const store = make();
    const sorted = byTitle(store);
    expect(ids(sorted.limit(5).offset(3))).toEqual(["t3", "t4"]);
    expect(ids(sorted.limit(5).limit(2))).toEqual(["t0", "t1"]);
    const nested = sorted.limit(5).offset(3);
    store.todo.delete("t3");
    expect(ids(nested)).toEqual(["t4", "t5"]);
  });
});
