import { act, cleanup, render, screen } from "@testing-library/react";
import { renderToString } from "react-dom/server";
import { afterEach, describe, expect, it } from "vitest";
import { ReactBindingError, useEntity } from "./index";
import { addTodo, makeStore } from "./test-fixtures";

afterEach(cleanup);

describe("useEntity", () => {
  it("re-renders only when that entity is replaced or deleted", () => {
    const store = makeStore();
    addTodo(store, "t1", "watched");
    addTodo(store, "t2", "other");
    let renders = 0;
    function Title({ id }: { id: string }) {
      renders++;
      const todo = useEntity(store, "todo", id);
      return <p>{todo === undefined ? "gone" : `${todo.title}${todo.done ? " (done)" : ""}`}</p>;
    }
    render(<Title id="t1" />);
    expect(screen.getByText("watched")).toBeTruthy();
    act(() => void store.todo.update("t2", (d) => { d.done = true; }));
    act(() => void addTodo(store, "t3", "new"));
    act(() => void store.note.upsert("n1", { body: "x", updatedAt: 1 }));
    expect(renders).toBe(1);
    act(() => void store.todo.update("t1", (d) => { d.done = true; }));
    expect(screen.getByText("watched (done)")).toBeTruthy();
    expect(renders).toBe(2);
    act(() => void store.todo.delete("t1"));
    expect(screen.getByText("gone")).toBeTruthy();
    expect(renders).toBe(3);
    act(() => void addTodo(store, "t1", "back"));
    expect(screen.getByText("back")).toBeTruthy();
  });

  it("follows a new id and is undefined for an unknown one; renders on the server", () => {
    const store = makeStore();
    addTodo(store, "t1", "one");
    function Title({ id }: { id: string }) {
      const todo = useEntity(store, "todo", id);
      return <p>{todo?.title ?? "none"}</p>;
    }
    const { rerender } = render(<Title id="nope" />);
    expect(screen.getByText("none")).toBeTruthy();
    rerender(<Title id="t1" />);
    expect(screen.getByText("one")).toBeTruthy();
    expect(renderToString(<Title id="t1" />)).toContain("one");
  });

  it("refuses a bad store, type or id", () => {
    const store = makeStore();
    function Bad({ args }: { args: unknown[] }) {
      (useEntity as (...a: unknown[]) => unknown)(...args);
      return null;
    }
    const quiet = console.error;
    console.error = () => {};
    try {
      expect(() => render(<Bad args={[{}, "todo", "t1"]} />)).toThrow(ReactBindingError);
      expect(() => render(<Bad args={[store, "", "t1"]} />)).toThrow(/type must be a non-empty string/);
      expect(() => render(<Bad args={[store, "todo", 7]} />)).toThrow(/id must be a string/);
    } finally {
      console.error = quiet;
    }
  });
});
