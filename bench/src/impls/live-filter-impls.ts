import { computed, type ObservableComputed } from "@legendapp/state";
import { createLiveQueryCollection, eq } from "@tanstack/db";
import { KalphiteStore, type LiveView } from "@kalphite/store";
import { createQueries, createStore, type Queries } from "tinybase";
import type { Todo } from "../data/todos";
import { createLegendTodos } from "./legend-store";
import type { LiveFilterImpl } from "./live-filter";
import { isOpen } from "./live-view";
import { MapSwapStore } from "./map-swap-store";
import { createTanstackTodos } from "./tanstack-store";
import { loadTinybase, toRow } from "./tinybase-store";

/** The floor: the swap-remove store and a `Set` of the open ids, kept on every write; length = `set.size`. */
export class SetFilterView implements LiveFilterImpl {
  readonly #store = new MapSwapStore();
  readonly #open = new Set<string>();
  changes = 0;

  load(todos: readonly Todo[]): void {
    this.#store.bulkLoad(todos);
    for (const todo of todos) if (isOpen(todo)) this.#open.add(todo.id);
  }

  write(next: Todo): void {
    this.#store.replace(next);
    if (isOpen(next)) this.#open.add(next.id);
    else this.#open.delete(next.id);
    this.changes++;
  }

  count(): number {
    return this.#open.size;
  }

  ids(): string[] {
    return [...this.#open];
  }

  all(): Todo[] {
    return this.#store.filter(() => true);
  }
}

/** `store.todo.live.where(isOpen)` with one subscriber, freeze off; writes with `store.todo.upsert`. */
export class KalphiteFilterView implements LiveFilterImpl {
  readonly #store = KalphiteStore<Todo>(undefined, { freeze: false });
  #view: LiveView<Todo> | undefined;
  changes = 0;

  load(todos: readonly Todo[]): void {
    this.#store.loadEntities(todos);
    this.#view = this.#store.todo.live.where(isOpen);
    this.#view.subscribe(() => {
      this.changes++;
    });
  }

  write(next: Todo): void {
    this.#store.todo.upsert(next.id, next);
  }

  count(): number {
    return this.#view!.length;
  }

  ids(): string[] {
    return this.#view!.map((t) => t.id);
  }

  all(): Todo[] {
    return [...this.#store.todo];
  }
}

/** A TinyBase query (`where("completed", false)`) with a row-count listener; writes with `setRow`, length = `getResultRowCount`. */
export class TinybaseFilterView implements LiveFilterImpl {
  readonly #store = createStore();
  #queries: Queries | undefined;
  changes = 0;

  load(todos: readonly Todo[]): void {
    loadTinybase(this.#store, todos);
    const queries = createQueries(this.#store);
    queries.setQueryDefinition("open", "todo", ({ select, where }) => {
      select("completed");
      where("completed", false);
    });
    queries.addResultRowCountListener("open", () => {
      this.changes++;
    });
    this.#queries = queries;
  }

  write(next: Todo): void {
    this.#store.setRow("todo", next.id, toRow(next));
  }

  count(): number {
    return this.#queries!.getResultRowCount("open");
  }

  ids(): string[] {
    return this.#queries!.getResultRowIds("open");
  }

  all(): Todo[] {
    const table = this.#store.getTable("todo");
    return Object.keys(table).map((id) => ({ id, completed: table[id]!.completed }) as unknown as Todo);
  }
}

/** Legend-State: a `computed` filtering the todos record, with one `onChange`; length = `open.get().length`. */
export class LegendFilterView implements LiveFilterImpl {
  readonly #state = createLegendTodos();
  #open: ObservableComputed<Todo[]> | undefined;
  changes = 0;

  load(todos: readonly Todo[]): void {
    const record: Record<string, Todo> = {};
    for (const todo of todos) record[todo.id] = todo;
    this.#state.todos.set(record);
    const todos$ = this.#state.todos;
    this.#open = computed(() => Object.values(todos$.get()).filter(isOpen));
    this.#open.onChange(() => {
      this.changes++;
    });
  }

  write(next: Todo): void {
    this.#state.todos[next.id]!.set(next);
  }

  count(): number {
    return this.#open!.get().length;
  }

  ids(): string[] {
    return this.#open!.get().map((t) => t.id);
  }

  all(): Todo[] {
    return Object.values(this.#state.todos.peek());
  }
}

/** TanStack DB: a live query collection (`where(eq(completed, false))`) with one subscriber; length = `size`. */
export class TanstackFilterView implements LiveFilterImpl {
  readonly #todos = createTanstackTodos();
  #live: ReturnType<typeof openOnly> | undefined;
  changes = 0;

  async load(todos: readonly Todo[]): Promise<void> {
    this.#todos.insert(todos as Todo[]);
    this.#live = openOnly(this.#todos);
    this.#live.subscribeChanges(() => {
      this.changes++;
    });
    await this.#live.preload();
  }

  write(next: Todo): void {
    this.#todos.update(next.id, (draft) => {
      draft.completed = next.completed;
    });
  }

  count(): number {
    return this.#live!.size;
  }

  ids(): string[] {
    return [...this.#live!.values()].map((t) => t.id);
  }

  all(): Todo[] {
    return this.#todos.toArray.filter(() => true);
  }
}

function openOnly(todos: ReturnType<typeof createTanstackTodos>) {
  return createLiveQueryCollection((q) => q.from({ todo: todos }).where(({ todo }) => eq(todo.completed, false)));
}
