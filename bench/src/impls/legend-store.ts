import { batch, observable, type Observable } from "@legendapp/state";
import type { Todo } from "../data/todos";
import type { TodoStore } from "./todo-store";

/** The Legend-State observable the bench uses: todos by id. */
export function createLegendTodos(): Observable<{ todos: Record<string, Todo> }> {
  return observable<{ todos: Record<string, Todo> }>({ todos: {} });
}

/**
 * `@legendapp/state` 2.1.15, used as its docs show: an observable object of
 * todos by id, `todos[id].set(todo)` / `.delete()` / `.peek()`, `onChange`
 * on `todos` as the subscriber, the bulk load as one `set` of the whole
 * record. Iteration is `Object.values` of the raw record.
 */
export class LegendTodoStore implements TodoStore {
  readonly #state = createLegendTodos();

  bulkLoad(todos: readonly Todo[]): void {
    const record: Record<string, Todo> = {};
    for (const todo of todos) record[todo.id] = todo;
    this.#state.todos.set(record);
  }

  subscribeCounting(): () => number {
    let seen = 0;
    this.#state.todos.onChange(({ changes }) => {
      seen += changes.length;
    });
    return () => seen;
  }

  upsert(todo: Todo): void {
    this.#state.todos[todo.id]!.set(todo);
  }

  replace(next: Todo): void {
    this.#state.todos[next.id]!.set(next);
  }

  remove(id: string): void {
    this.#state.todos[id]!.delete();
  }

  findById(id: string): Todo | undefined {
    return this.#state.todos[id]!.peek();
  }

  filter(predicate: (todo: Todo) => boolean): Todo[] {
    return Object.values(this.#state.todos.peek()).filter(predicate);
  }

  size(): number {
    return Object.keys(this.#state.todos.peek()).length;
  }

  batchUpserts(todos: readonly Todo[]): number {
    batch(() => {
      for (const todo of todos) this.#state.todos[todo.id]!.set(todo);
    });
    return 0;
  }
}
