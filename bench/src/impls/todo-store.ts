import type { Todo } from "../data/todos";

/**
 * What the store workloads need from an implementation. Each implementation
 * uses its own API the way its documentation recommends; a bench child only
 * ever loads one implementation, so every call site stays monomorphic.
 */
export interface TodoStore {
  /** Loads `todos` into the (empty) store as one bulk operation. */
  bulkLoad(todos: readonly Todo[]): void;
  /** Installs one listener in the implementation's own style; returns a reader of the changes it saw. */
  subscribeCounting(): () => number;
  /** Inserts a new todo, or replaces the stored one with this id (one write, one notification). */
  upsert(todo: Todo): void;
  /** Writes a new version of an existing todo (`title`, `priority`, `updatedAt` changed). */
  replace(next: Todo): void;
  /** Deletes one todo by id. */
  remove(id: string): void;
  /** The todo with this id. */
  findById(id: string): Todo | undefined;
  /** Every todo matching `predicate`, as a new array. */
  filter(predicate: (todo: Todo) => boolean): Todo[];
  /** Number of todos stored. */
  size(): number;
  /**
   * Upserts every todo inside one batch (one notification, one sink batch);
   * with `patches`, as a transaction that also reports JSON Patch operations
   * and their inverse. Returns how many patches it produced (0 without).
   */
  batchUpserts?(todos: readonly Todo[], patches: boolean): number;
  /**
   * `findById` read once and held in a variable, where that differs from
   * calling it on the store every time (Kalphite: `const find =
   * store.todo.findById`, a bound method), to show what the Proxy reads cost.
   */
  hoisted?(): Pick<TodoStore, "findById">;
}

/** Creates an empty store. */
export type TodoStoreFactory = () => TodoStore;
