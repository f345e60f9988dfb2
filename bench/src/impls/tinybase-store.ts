import { createStore, type Row, type Store } from "tinybase";
import type { Todo } from "../data/todos";
import type { TodoStore } from "./todo-store";

const TABLE = "todo";

/** A todo as a TinyBase row: cells are strings, numbers or booleans, so `tags` is stored as JSON. */
export function toRow(todo: Todo): Row {
  return { title: todo.title, completed: todo.completed, priority: todo.priority, tags: JSON.stringify(todo.tags), updatedAt: todo.updatedAt };
}

/** A TinyBase row back as a todo. */
export function fromRow(id: string, row: Row): Todo {
  return {
    id,
    type: "todo",
    title: row.title as string,
    completed: row.completed as boolean,
    priority: row.priority as number,
    tags: JSON.parse(row.tags as string) as string[],
    updatedAt: row.updatedAt as number,
  };
}

/** Loads `todos` into a TinyBase store's `todo` table in one transaction. */
export function loadTinybase(store: Store, todos: readonly Todo[]): void {
  store.transaction(() => {
    for (const todo of todos) store.setRow(TABLE, todo.id, toRow(todo));
  });
}

/**
 * TinyBase 10.0.1, used as its docs show: one `todo` table, `setRow` /
 * `delRow` / `getRow`, a row listener (`addRowListener(table, null, …)`),
 * a bulk load in one `transaction`. A read returns a fresh row object (the
 * `id` is the row id, not a cell), so `findById` and `filter` rebuild the
 * todo from its row.
 */
export class TinybaseTodoStore implements TodoStore {
  readonly #store = createStore();

  bulkLoad(todos: readonly Todo[]): void {
    loadTinybase(this.#store, todos);
  }

  subscribeCounting(): () => number {
    let seen = 0;
    this.#store.addRowListener(TABLE, null, () => {
      seen++;
    });
    return () => seen;
  }

  upsert(todo: Todo): void {
    this.#store.setRow(TABLE, todo.id, toRow(todo));
  }

  replace(next: Todo): void {
    this.#store.setRow(TABLE, next.id, toRow(next));
  }

  remove(id: string): void {
    this.#store.delRow(TABLE, id);
  }

  findById(id: string): Todo | undefined {
    return this.#store.hasRow(TABLE, id) ? fromRow(id, this.#store.getRow(TABLE, id)) : undefined;
  }

  filter(predicate: (todo: Todo) => boolean): Todo[] {
    const out: Todo[] = [];
    const table = this.#store.getTable(TABLE);
    for (const id in table) {
      const todo = fromRow(id, table[id]!);
      if (predicate(todo)) out.push(todo);
    }
    return out;
  }

  size(): number {
    return this.#store.getRowCount(TABLE);
  }

  batchUpserts(todos: readonly Todo[]): number {
    loadTinybase(this.#store, todos);
    return 0;
  }
}
