// The page of the real-browser test: a collection persisted in IndexedDB (the
// default) whose persist POSTs to the test server. State is published on
// `window.__kalphite` for the test to read.
import { createCollection, type Transaction } from "../../src/index";

// The few browser globals the page uses (the package's tsconfig has no DOM lib).
declare const window: Record<string, unknown>;
declare const location: { search: string };

interface Todo {
  id: string;
  title: string;
  [key: string]: unknown;
}

const todos = createCollection<Todo>({
  sync: { id: "browser-todos", setup: async () => ({ data: [{ id: "t1", title: "from server" }] }) },
  mutationFn: {
    persist: async ({ transaction, changes, attempt }) => {
      const response = await fetch("/persist", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ id: transaction.id, attempt, changes }),
      });
      if (!response.ok) throw new Error(`persist answered ${response.status}`);
    },
  },
  retry: { baseDelayMs: 50 },
});

const publish = () => {
  window["__kalphite"] = {
    ready: true,
    data: todos.data,
    transactions: todos.getTransactions().map((t: Transaction) => ({
      id: t.id,
      state: t.state,
      attempts: t.attempts.map((a) => ({ error: a.error === undefined ? null : { name: a.error.name, message: a.error.message, code: (a.error as { code?: string }).code ?? null } })),
      changes: t.mutations.map((m) => m.changes),
    })),
  };
};
todos.subscribe(publish);
todos.subscribeTransactions(publish);

void todos.ready.then(() => {
  publish();
  if (new URLSearchParams(location.search).has("mutate") && todos.getTransactions().length === 0) {
    todos.update("t1", { title: "written in the browser \u{1F680}" });
  }
});
