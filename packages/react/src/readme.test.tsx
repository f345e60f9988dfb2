// The README's example, run.
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, expect, it } from "vitest";
import { z } from "zod";
import { KalphiteStore } from "@kalphite/store";
import { useEntity, useKalphiteStore, useLiveQuery } from "./index";

afterEach(cleanup);

const Todo = z.object({ id: z.string(), type: z.literal("todo"), title: z.string().min(1), done: z.boolean(), updatedAt: z.number() });
const store = KalphiteStore(z.discriminatedUnion("type", [Todo]));

function OpenTodos() {
  const open = useLiveQuery(() => store.todo.live.where((t) => !t.done).orderBy("title"));
  return <ul>{open.map((t) => <TodoRow key={t.id} id={t.id} />)}</ul>;
}

function TodoRow({ id }: { id: string }) {
  const todo = useEntity(store, "todo", id);
  if (!todo) return null;
  return (
    <li>
      <label>
        <input type="checkbox" checked={todo.done} onChange={() => store.todo.update(id, (d) => { d.done = !d.done; })} />
        {todo.title}
      </label>
    </li>
  );
}

function Counter() {
  const total = useKalphiteStore(store, (s) => s.todo.length);
  return <p>{total} todos</p>;
}

it("runs the README example", () => {
  store.todo.upsert("t1", { title: "Write docs", done: false, updatedAt: 1 });
  render(<><OpenTodos /><Counter /></>);
  expect(screen.getByText("1 todos")).toBeTruthy();
  act(() => void store.todo.upsert("t2", { title: "Ship", done: false, updatedAt: 2 }));
  expect(screen.getAllByRole("checkbox")).toHaveLength(2);
  fireEvent.click(screen.getByLabelText("Write docs"));
  expect(screen.getAllByRole("checkbox")).toHaveLength(1);
  expect(screen.getByText("2 todos")).toBeTruthy();
});
