import { act, cleanup, render, screen } from "@testing-library/react";
import { useLayoutEffect } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { ReactBindingError, useKalphiteStore } from "./index";
import { addTodo, makeStore, type TestStore } from "./test-fixtures";

afterEach(cleanup);

describe("useKalphiteStore", () => {
  it("re-renders once per store batch and shows the current store", () => {
    const store = makeStore();
    let renders = 0;
    function Count() {
      renders++;
      const s = useKalphiteStore(store);
      return <p>{s.todo.length} todos</p>;
    }
    render(<Count />);
    expect(screen.getByText("0 todos")).toBeTruthy();
    expect(renders).toBe(1);
    act(() => void addTodo(store, "t1", "a"));
    expect(screen.getByText("1 todos")).toBeTruthy();
    expect(renders).toBe(2);
    act(() => store.batch(() => { addTodo(store, "t2", "b"); addTodo(store, "t3", "c"); store.note.upsert("n1", { body: "x", updatedAt: 1 }); }));
    expect(screen.getByText("3 todos")).toBeTruthy();
    expect(renders).toBe(3);
  });

  it("with a selector, re-renders only when the selected value changes", () => {
    const store = makeStore();
    addTodo(store, "t1", "a");
    let renders = 0;
    function Open() {
      renders++;
      const open = useKalphiteStore(store, (s: TestStore) => s.todo.filter((t) => !t.done).length);
      return <p>{open} open</p>;
    }
    render(<Open />);
    expect(renders).toBe(1);
    act(() => void store.note.upsert("n1", { body: "unrelated", updatedAt: 1 }));
    act(() => void store.todo.update("t1", (d) => { d.title = "renamed, still open"; }));
    expect(renders).toBe(1);
    act(() => void store.todo.update("t1", (d) => { d.done = true; }));
    expect(screen.getByText("0 open")).toBeTruthy();
    expect(renders).toBe(2);
  });

  it("a custom equality keeps equal selections", () => {
    const store = makeStore();
    addTodo(store, "t1", "a");
    let renders = 0;
    function Titles() {
      renders++;
      const titles = useKalphiteStore(store, (s: TestStore) => s.todo.map((t) => t.title), (a, b) => a.join("\n") === b.join("\n"));
      return <p>{titles.join(",")}</p>;
    }
    render(<Titles />);
    act(() => void store.todo.update("t1", (d) => { d.done = true; })); // a new array, the same titles
    expect(renders).toBe(1);
    act(() => void addTodo(store, "t2", "b"));
    expect(screen.getByText("a,b")).toBeTruthy();
    expect(renders).toBe(2);
  });

  it("a change between render and subscription is not missed", () => {
    const store = makeStore();
    function Count() {
      const s = useKalphiteStore(store);
      return <p>{s.todo.length} todos</p>;
    }
    // A layout effect runs after Count rendered and before its subscription (a passive effect).
    function Writer() {
      useLayoutEffect(() => void addTodo(store, "t1", "written before the subscription"), []);
      return null;
    }
    render(<><Count /><Writer /></>);
    expect(screen.getByText("1 todos")).toBeTruthy();
  });

  it("refuses what is not a store, and a selector that is not a function", () => {
    function Bad({ value }: { value: unknown }) {
      useKalphiteStore(value as TestStore);
      return null;
    }
    function BadSelector() {
      useKalphiteStore(makeStore(), 3 as never);
      return null;
    }
    const quiet = console.error;
    console.error = () => {};
    try {
      expect(() => render(<Bad value={null} />)).toThrow(ReactBindingError);
      expect(() => render(<Bad value={{}} />)).toThrow(/expected a KalphiteStore/);
      expect(() => render(<BadSelector />)).toThrow(/selector must be a function/);
    } finally {
      console.error = quiet;
    }
  });
});
