import type { Todo } from "../data/todos";
import type { TodoStore } from "./todo-store";

/** The change record the floor hands its listeners (the store's record shape). */
interface Change {
  readonly operation: "upsert" | "delete";
  readonly entityType: string;
  readonly entityId: string;
  readonly entity: Todo | undefined;
  readonly origin: "local" | "load";
}

/**
 * The swap-remove floor: an array + a `Map<id, index>`; a delete moves the
 * last entity into the hole (O(1), but the order is not kept). The least a
 * store with O(1) deletes can do; Kalphite keeps insertion order on top.
 */
export class MapSwapStore implements TodoStore {
  readonly #index = new Map<string, number>();
  readonly #items: Todo[] = [];
  readonly #listeners = new Set<(change: Change) => void>();

  #put(todo: Todo): void {
    const at = this.#index.get(todo.id);
    if (at !== undefined) {
      this.#items[at] = todo;
      return;
    }
    this.#index.set(todo.id, this.#items.length);
    this.#items.push(todo);
  }

  #notify(change: Change): void {
    for (const listener of this.#listeners) listener(change);
  }

  bulkLoad(todos: readonly Todo[]): void {
    for (const todo of todos) this.#put(todo);
    if (this.#listeners.size > 0) {
      for (const todo of todos) this.#notify({ operation: "upsert", entityType: "todo", entityId: todo.id, entity: todo, origin: "load" });
    }
  }

  subscribeCounting(): () => number {
    let seen = 0;
    this.#listeners.add(() => {
      seen++;
    });
    return () => seen;
  }

  upsert(todo: Todo): void {
    this.#put(todo);
    if (this.#listeners.size > 0) this.#notify({ operation: "upsert", entityType: "todo", entityId: todo.id, entity: todo, origin: "local" });
  }

  replace(next: Todo): void {
    this.upsert(next);
  }

  remove(id: string): void {
    const at = this.#index.get(id);
    if (at === undefined) return;
    const items = this.#items;
    const prev = items[at]!;
    const last = items.pop()!;
    this.#index.delete(id);
    if (last !== prev) {
      items[at] = last;
      this.#index.set(last.id, at);
    }
    if (this.#listeners.size > 0) this.#notify({ operation: "delete", entityType: "todo", entityId: id, entity: prev, origin: "local" });
  }

  findById(id: string): Todo | undefined {
    const at = this.#index.get(id);
    return at === undefined ? undefined : this.#items[at];
  }

  filter(predicate: (todo: Todo) => boolean): Todo[] {
    return this.#items.filter(predicate);
  }

  size(): number {
    return this.#items.length;
  }

  batchUpserts(todos: readonly Todo[]): number {
    for (const todo of todos) this.#put(todo);
    if (this.#listeners.size > 0) {
      for (const todo of todos) this.#notify({ operation: "upsert", entityType: "todo", entityId: todo.id, entity: todo, origin: "local" });
    }
    return 0;
  }
}
