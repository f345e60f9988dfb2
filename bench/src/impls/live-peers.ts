import { computed, type ObservableComputed } from "@legendapp/state";
import { createQueries, createStore, type Queries } from "tinybase";
import type { Todo } from "../data/todos";
import { createLegendTodos } from "./legend-store";
import { isOpen, newestFirst, touchFirst20, type LiveViewImpl } from "./live-view";
import { fromRow, loadTinybase, toRow } from "./tinybase-store";

/**
 * TinyBase: a query selecting `priority` and `updatedAt` where `completed`
 * is false, with a listener; read = `getResultRowCount` + the first 20 of
 * `getResultSortedRowIds("updatedAt", descending)` and their rows.
 */
export class TinybaseLiveView implements LiveViewImpl {
  readonly #store = createStore();
  #queries: Queries | undefined;
  changes = 0;

  load(todos: readonly Todo[]): void {
    loadTinybase(this.#store, todos);
    const queries = createQueries(this.#store);
    queries.setQueryDefinition("open", "todo", ({ select, where }) => {
      select("priority");
      select("updatedAt");
      where("completed", false);
    });
    queries.addResultTableListener("open", () => {
      this.changes++;
    });
    this.#queries = queries;
  }

  write(next: Todo): void {
    this.#store.setRow("todo", next.id, toRow(next));
  }

  read(): number {
    const queries = this.#queries!;
    const ids = queries.getResultSortedRowIds("open", "updatedAt", true, 0, 20);
    let sum = queries.getResultRowCount("open");
    for (const id of ids) sum += queries.getResultCell("open", id, "priority") as number;
    return sum;
  }

  snapshot(): Todo[] {
    return this.#queries!.getResultSortedRowIds("open", "updatedAt", true).map((id) => fromRow(id, this.#store.getRow("todo", id)));
  }

  all(): Todo[] {
    const table = this.#store.getTable("todo");
    return Object.keys(table).map((id) => fromRow(id, table[id]!));
  }
}

/** Legend-State: a `computed` filtering and sorting the todos record, with one `onChange`; read = its length and first 20. */
export class LegendLiveView implements LiveViewImpl {
  readonly #state = createLegendTodos();
  #view: ObservableComputed<Todo[]> | undefined;
  changes = 0;

  load(todos: readonly Todo[]): void {
    const record: Record<string, Todo> = {};
    for (const todo of todos) record[todo.id] = todo;
    this.#state.todos.set(record);
    const todos$ = this.#state.todos;
    this.#view = computed(() => Object.values(todos$.get()).filter(isOpen).sort(newestFirst));
    this.#view.onChange(() => {
      this.changes++;
    });
  }

  write(next: Todo): void {
    this.#state.todos[next.id]!.set(next);
  }

  read(): number {
    const view = this.#view!.get();
    return touchFirst20(view.length, view.slice(0, 20));
  }

  snapshot(): Todo[] {
    return [...this.#view!.get()];
  }

  all(): Todo[] {
    return Object.values(this.#state.todos.peek());
  }
}
