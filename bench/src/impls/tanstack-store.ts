import { createCollection, localOnlyCollectionOptions } from "@tanstack/db";
import type { Todo } from "../data/todos";
import type { TodoStore } from "./todo-store";

/** Creates the TanStack DB collection the bench uses: local-only, keyed by `id`. */
export function createTanstackTodos() {
  return createCollection(localOnlyCollectionOptions<Todo, string>({ getKey: (todo) => todo.id }));
}

/**
 * `@tanstack/db` 0.15.2: a local-only collection (its in-memory collection,
 * whose writes confirm synchronously), used as its docs show: one
 * `insert([...])` for a bulk load, `insert`/`update(key, draft => …)`/
 * `delete(key)` per write, `get(key)`, `subscribeChanges`. Iteration order is
 * by key, not insertion (a sorted map) — a semantic difference from the
 * others that makes `filter` results come back in id order.
 */
export class TanstackTodoStore implements TodoStore {
  readonly #collection = createTanstackTodos();

  bulkLoad(todos: readonly Todo[]): void {
    this.#collection.insert(todos as Todo[]);
  }

  subscribeCounting(): () => number {
    let seen = 0;
    // With the initial state: a subscriber that never saw a row is not told
    // when it is deleted, and the other stores' listeners hear every delete.
    this.#collection.subscribeChanges(
      (changes) => {
        seen += changes.length;
      },
      { includeInitialState: true },
    );
    const initial = seen;
    return () => seen - initial;
  }

  upsert(todo: Todo): void {
    if (this.#collection.has(todo.id)) this.replace(todo);
    else this.#collection.insert(todo);
  }

  replace(next: Todo): void {
    this.#collection.update(next.id, (draft) => {
      draft.title = next.title;
      draft.priority = next.priority;
      draft.updatedAt = next.updatedAt;
    });
  }

  remove(id: string): void {
    this.#collection.delete(id);
  }

  findById(id: string): Todo | undefined {
    return this.#collection.get(id);
  }

  filter(predicate: (todo: Todo) => boolean): Todo[] {
    return this.#collection.toArray.filter(predicate);
  }

  size(): number {
    return this.#collection.size;
  }
}
