import { KalphiteStore } from "@kalphite/store";
import type { Todo } from "../data/todos";
import type { TodoStore } from "./todo-store";

/**
 * `@kalphite/store` without a schema (the baseline validates nothing either;
 * the store still checks `{ id, type }`), written the way application code
 * writes it: `store.todo.<method>` on every call.
 */
export class KalphiteTodoStore implements TodoStore {
  readonly #store: KalphiteStore<Todo>;

  constructor(options: { freeze: boolean }) {
    this.#store = KalphiteStore<Todo>(undefined, { freeze: options.freeze });
  }

  bulkLoad(todos: readonly Todo[]): void {
    this.#store.loadEntities(todos);
  }

  subscribeCounting(): () => number {
    let seen = 0;
    this.#store.todo.subscribe((changes) => {
      seen += changes.length;
    });
    return () => seen;
  }

  upsert(todo: Todo): void {
    this.#store.todo.upsert(todo.id, todo);
  }

  replace(next: Todo): void {
    this.#store.todo.upsert(next.id, next);
  }

  remove(id: string): void {
    this.#store.todo.delete(id);
  }

  findById(id: string): Todo | undefined {
    return this.#store.todo.findById(id);
  }

  filter(predicate: (todo: Todo) => boolean): Todo[] {
    return this.#store.todo.filter(predicate);
  }

  size(): number {
    return this.#store.todo.length;
  }

  batchUpserts(todos: readonly Todo[], patches: boolean): number {
    const store = this.#store;
    const write = () => {
      for (let i = 0; i < todos.length; i++) store.todo.upsert(todos[i]!.id, todos[i]!);
    };
    if (!patches) {
      store.batch(write);
      return 0;
    }
    const result = store.transaction(write);
    return result.patches.length + result.inversePatches.length;
  }

  hoisted(): Pick<TodoStore, "findById"> {
    // store.getById reads the collection's data directly: no Proxy on the way.
    const store = this.#store;
    return { findById: (id) => store.getById("todo", id) };
  }
}
