import { StrictMode, useState } from "react";
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { renderToString } from "react-dom/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { LiveView } from "@kalphite/store";
import { ReactBindingError, UNCOMMITTED_VIEW_TIMEOUT_MS, useLiveQuery } from "./index";
import { addTodo, makeStore, type TestStore } from "./test-fixtures";

type Todo = TestStore["todo"][number];

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function setup() {
  const store = makeStore();
  addTodo(store, "t1", "b open");
  addTodo(store, "t2", "a open");
  addTodo(store, "t3", "done", true);
  const views: LiveView<Todo>[] = [];
  const counts = { renders: 0 };
  function Open() {
    counts.renders++;
    const open = useLiveQuery(() => {
      const view = store.todo.live.where((t) => !t.done).orderBy("title");
      views.push(view);
      return view;
    });
    return <ul>{open.map((t) => <li key={t.id}>{t.title}</li>)}</ul>;
  }
  return { store, views, counts, Open };
}

const items = () => screen.queryAllByRole("listitem").map((li) => (li as unknown as { textContent: string }).textContent);

describe("useLiveQuery", () => {
  it("renders the view and re-renders only when the view changes", () => {
    const { store, counts, Open } = setup();
    render(<Open />);
    expect(items()).toEqual(["a open", "b open"]);
    expect(counts.renders).toBe(1);
    // Outside the view: a done todo renamed, a note, a new done todo.
    act(() => void store.todo.update("t3", (d) => { d.title = "still done"; }));
    act(() => void store.note.upsert("n1", { body: "x", updatedAt: 1 }));
    act(() => void addTodo(store, "t4", "another done", true));
    expect(counts.renders).toBe(1);
    act(() => void addTodo(store, "t5", "c open"));
    expect(items()).toEqual(["a open", "b open", "c open"]);
    expect(counts.renders).toBe(2);
    act(() => void store.todo.update("t2", (d) => { d.done = true; }));
    expect(items()).toEqual(["b open", "c open"]);
    expect(counts.renders).toBe(3);
    // One batch of several changes to the view: one render.
    act(() => store.batch(() => { addTodo(store, "t6", "d"); store.todo.delete("t1"); }));
    expect(items()).toEqual(["c open", "d"]);
    expect(counts.renders).toBe(4);
  });

  it("returns a frozen array that stays the same object until the view changes", () => {
    const { store } = setup();
    const seen: ReadonlyArray<Todo>[] = [];
    function Spy() {
      const [, setTick] = useState(0);
      const open = useLiveQuery(() => store.todo.live.where((t) => !t.done));
      seen.push(open);
      return <button onClick={() => setTick((n) => n + 1)}>tick</button>;
    }
    render(<Spy />);
    fireEvent.click(screen.getByText("tick"));
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBe(seen[0]);
    expect(Object.isFrozen(seen[0])).toBe(true);
    act(() => void addTodo(store, "t9", "new"));
    expect(seen.at(-1)).not.toBe(seen[0]);
    expect(seen.at(-1)!.map((t) => t.id)).toContain("t9");
  });

  it("disposes the view on unmount", () => {
    const { views, Open } = setup();
    const { unmount } = render(<Open />);
    expect(views.length).toBeGreaterThan(0);
    expect(views.at(-1)!.disposed).toBe(false);
    unmount();
    expect(views.every((v) => v.disposed)).toBe(true);
  });

  it("makes a new view when deps change and disposes the old one", () => {
    const store = makeStore();
    addTodo(store, "t1", "alpha");
    addTodo(store, "t2", "beta");
    const views: LiveView<Todo>[] = [];
    function Search({ text }: { text: string }) {
      const found = useLiveQuery(() => {
        const view = store.todo.live.where((t) => t.title.includes(text));
        views.push(view);
        return view;
      }, [text]);
      return <ul>{found.map((t) => <li key={t.id}>{t.title}</li>)}</ul>;
    }
    const { rerender, unmount } = render(<Search text="al" />);
    expect(items()).toEqual(["alpha"]);
    rerender(<Search text="be" />);
    expect(items()).toEqual(["beta"]);
    expect(views).toHaveLength(2);
    expect(views[0]!.disposed).toBe(true);
    expect(views[1]!.disposed).toBe(false);
    act(() => void addTodo(store, "t3", "beta two"));
    expect(items()).toEqual(["beta", "beta two"]);
    unmount();
    expect(views[1]!.disposed).toBe(true);
  });

  it("works under StrictMode (double render, effects re-run) and leaves no live view after unmount", () => {
    const { store, views, Open } = setup();
    const { unmount } = render(<StrictMode><Open /></StrictMode>);
    expect(items()).toEqual(["a open", "b open"]);
    act(() => void addTodo(store, "t7", "c"));
    expect(items()).toEqual(["a open", "b open", "c"]);
    expect(views.filter((v) => !v.disposed)).toHaveLength(1);
    unmount();
    expect(views.filter((v) => !v.disposed)).toHaveLength(0);
  });

  it("renders on the server (getServerSnapshot), and the view made there does not live on", () => {
    vi.useFakeTimers();
    const { views, Open } = setup();
    const html = renderToString(<Open />);
    expect(html).toContain("a open");
    expect(html).toContain("b open");
    expect(views.some((v) => !v.disposed)).toBe(true);
    vi.advanceTimersByTime(UNCOMMITTED_VIEW_TIMEOUT_MS);
    expect(views.every((v) => v.disposed)).toBe(true);
  });

  it("refuses a factory that is not a function or does not return a live view", () => {
    const store = makeStore();
    function NotFunction() {
      useLiveQuery(store.todo.live as never);
      return null;
    }
    function NotView() {
      useLiveQuery(() => [1, 2] as never);
      return null;
    }
    const quiet = console.error;
    console.error = () => {};
    try {
      expect(() => render(<NotFunction />)).toThrow(ReactBindingError);
      expect(() => render(<NotView />)).toThrow(/must return a live view/);
    } finally {
      console.error = quiet;
    }
  });
});
