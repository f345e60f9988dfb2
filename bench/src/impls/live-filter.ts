import type { Todo } from "../data/todos";

/** One implementation of "a live filtered view (open todos, collection order) whose length is read after every write". */
export interface LiveFilterImpl {
  /** Loads the collection and builds the view with one subscriber (untimed). */
  load(todos: readonly Todo[]): void | Promise<void>;
  /** Writes a new version of an existing todo (`completed` flipped). */
  write(next: Todo): void;
  /** The view's length, read as a renderer would read a counter. */
  count(): number;
  /** The ids in the view (untimed), to check it against a recompute. */
  ids(): string[];
  /** Every todo of the collection (untimed). */
  all(): Todo[];
}
