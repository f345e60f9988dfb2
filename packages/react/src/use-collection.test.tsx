import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { renderToString } from "react-dom/server";
import { afterEach, describe, expect, it } from "vitest";
import { createCollection, NonRetriableError, type CollectionConfig, type MutationFn, type Transaction } from "@kalphite/transactions";
import { ReactBindingError, useCollection, useTransactions } from "./index";

type Todo = { id: string; title: string; done: boolean };

afterEach(cleanup);

let nextId = 0;
/** A collection config over an in-memory "server" whose persist waits until released. */
function makeConfig(initial: Record<string, Todo> = {}) {
  const id = `todos-${++nextId}`;
  const persisted: Array<{ changes: unknown; release: (error?: Error) => void }> = [];
  const mutationFn: MutationFn<Todo> = {
    persist: ({ changes }) =>
      new Promise<void>((resolve, reject) => {
        persisted.push({ changes, release: (error) => (error ? reject(error) : resolve()) });
      }),
  };
  const config: CollectionConfig<Todo> = {
    sync: { id, setup: async () => ({ data: initial }) },
    mutationFn,
    persistence: false,
  };
  return { config, persisted };
}

const flush = () => act(async () => { for (let i = 0; i < 5; i++) await Promise.resolve(); });

describe("useCollection", () => {
  it("returns the spec's { data, insert, update, delete, withMutation } and re-renders on change", async () => {
    const { config, persisted } = makeConfig({ t1: { id: "t1", title: "synced", done: false } });
    let renders = 0;
    function List() {
      renders++;
      const { data, insert, update, delete: remove, withMutation, collection } = useCollection(config);
      expect(typeof withMutation).toBe("function");
      expect(collection.id).toBe(config.sync.id);
      return (
        <div>
          <ul>{Object.values(data).map((t) => <li key={t.id}>{t.title}{t.done ? " ✓" : ""}</li>)}</ul>
          <button onClick={() => insert({ id: "t2", title: "added", done: false })}>add</button>
          <button onClick={() => update("t1", (d) => { d.done = true; })}>done</button>
          <button onClick={() => remove("t2")}>remove</button>
        </div>
      );
    }
    render(<List />);
    await act(() => createCollection(config).ready);
    expect(screen.getByText("synced")).toBeTruthy();
    fireEvent.click(screen.getByText("add"));
    expect(screen.getByText("added")).toBeTruthy();
    fireEvent.click(screen.getByText("done"));
    expect(screen.getByText("synced ✓")).toBeTruthy();
    await flush();
    expect(persisted.length).toBeGreaterThan(0);
    const before = renders;
    // A delete: one render.
    fireEvent.click(screen.getByText("remove"));
    expect(screen.queryByText("added")).toBeNull();
    expect(renders).toBe(before + 1);
  });

  it("two components share one collection by sync.id; it is disposed after the last unmounts", async () => {
    const { config } = makeConfig();
    function Count() {
      const { data } = useCollection(config);
      return <p>{Object.keys(data).length} items</p>;
    }
    const { unmount } = render(<><Count /><Count /></>);
    const shared = createCollection(config);
    await act(() => shared.ready);
    act(() => void shared.insert({ id: "x", title: "x", done: false }));
    expect(screen.getAllByText("1 items")).toHaveLength(2);
    unmount();
    await act(() => new Promise((resolve) => setTimeout(resolve, 5)));
    expect(createCollection(config)).not.toBe(shared); // a new instance: the old one was disposed
  });

  it("renders on the server with the initial data", () => {
    const { config } = makeConfig();
    const withInitial: CollectionConfig<Todo> = { ...config, initialData: { a: { id: "a", title: "cached", done: false } } };
    function List() {
      const { data } = useCollection(withInitial, { disposeOnUnmount: false });
      return <p>{Object.values(data).map((t) => t.title).join(",")}</p>;
    }
    expect(renderToString(<List />)).toContain("cached");
    void createCollection(withInitial).dispose();
  });

  it("refuses a config without sync.id", () => {
    function Bad() {
      useCollection({} as never);
      return null;
    }
    const quiet = console.error;
    console.error = () => {};
    try {
      expect(() => render(<Bad />)).toThrow(ReactBindingError);
    } finally {
      console.error = quiet;
    }
  });
});

describe("useTransactions", () => {
  it("shows every transaction's state as it moves, for all collections or one", async () => {
    const { config, persisted } = makeConfig();
    const other = makeConfig();
    const states = (txs: readonly Transaction[]) => txs.map((t) => t.state).join(",");
    function Monitor() {
      const { collection } = useCollection(config);
      const all = useTransactions();
      const mine = useTransactions(collection);
      return <p>all:{states(all.filter((t) => (t.mutations[0]?.metadata as { collection?: string } | undefined)?.collection !== undefined))} mine:{states(mine)}</p>;
    }
    render(<Monitor />);
    const collection = createCollection(config);
    const second = createCollection(other.config);
    await act(() => Promise.all([collection.ready, second.ready]));
    act(() => void collection.insert({ id: "a", title: "a", done: false }));
    act(() => void second.insert({ id: "b", title: "b", done: false }));
    await flush();
    expect(screen.getByText(/mine:persisting$/)).toBeTruthy();
    expect(screen.getByText(/all:persisting,persisting /)).toBeTruthy();
    await act(async () => persisted[0]!.release(new NonRetriableError("refused")));
    await flush();
    expect(screen.getByText(/mine:failed$/)).toBeTruthy();
    other.persisted[0]!.release();
    await second.dispose();
  });

  it("refuses what is not a collection", () => {
    function Bad() {
      useTransactions({} as never);
      return null;
    }
    const quiet = console.error;
    console.error = () => {};
    try {
      expect(() => render(<Bad />)).toThrow(/must be a collection/);
    } finally {
      console.error = quiet;
    }
  });
});
