import type { Todo } from "../data/todos";
import type { TodoStore } from "./todo-store";

/** The change record the baseline hands its listeners (the store's record shape). */
interface Change {
  readonly operation: "upsert" | "delete";
  readonly entityType: string;
  readonly entityId: string;
  readonly entity: Todo | undefined;
  readonly origin: "local" | "load";
}

/** An entity's position in `items`; `order[i]` is the slot of `items[i]` so deletes re-index without lookups. */
interface Slot {
  index: number;
}

/**
 * The practical floor: the same semantics as a Kalphite collection with the
 * least machinery. An insertion-ordered array, an id → slot map for O(1)
 * lookup and in-place replace, deletes that close the gap (splice plus a
 * re-index of the shifted tail), and listeners called on every write with a
 * change record. No validation, no freezing, no proxies, no batching.
 */
export class MapStore implements TodoStore {
  readonly #slots = new Map<string, Slot>();
  readonly #items: Todo[] = [];
  readonly #order: Slot[] = [];
  readonly #listeners = new Set<(change: Change) => void>();

  #put(todo: Todo): Todo | undefined {
    const slot = this.#slots.get(todo.id);
    if (slot !== undefined) {
      const prev = this.#items[slot.index];
      this.#items[slot.index] = todo;
      return prev;
    }
    const created: Slot = { index: this.#items.length };
    this.#slots.set(todo.id, created);
    this.#order.push(created);
    this.#items.push(todo);
    return undefined;
  }

  #notify(change: Change): void {
    for (const listener of this.#listeners) listener(change);
  }

  bulkLoad(todos: readonly Todo[]): void {
    for (const todo of todos) this.#put(todo);
    // One notification for the load, like a batch (no listener in the bulk-load workload).
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
    const slot = this.#slots.get(id);
    if (slot === undefined) return;
    const index = slot.index;
    const [prev] = this.#items.splice(index, 1);
    this.#order.splice(index, 1);
    this.#slots.delete(id);
    const order = this.#order;
    for (let i = index; i < order.length; i++) order[i]!.index = i;
    if (this.#listeners.size > 0) this.#notify({ operation: "delete", entityType: "todo", entityId: id, entity: prev, origin: "local" });
  }

  /** The floor of a batch: every write applied, then the listeners told once per change. */
  batchUpserts(todos: readonly Todo[]): number {
    for (const todo of todos) this.#put(todo);
    if (this.#listeners.size > 0) {
      for (const todo of todos) this.#notify({ operation: "upsert", entityType: "todo", entityId: todo.id, entity: todo, origin: "local" });
    }
    return 0;
  }

  findById(id: string): Todo | undefined {
    const slot = this.#slots.get(id);
    return slot === undefined ? undefined : this.#items[slot.index];
  }

  filter(predicate: (todo: Todo) => boolean): Todo[] {
    return this.#items.filter(predicate);
  }

  size(): number {
    return this.#items.length;
  }
}
