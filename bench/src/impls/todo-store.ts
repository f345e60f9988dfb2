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
   * Reads through the collection held in a variable instead of reaching it
   * from the store on every call (only where the two differ: Kalphite's
   * `const todos = store.todo`), to show what that lookup costs.
   */
  hoisted?(): Pick<TodoStore, "findById">;
}

/** Creates an empty store. */
export type TodoStoreFactory = () => TodoStore;
