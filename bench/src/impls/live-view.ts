import type { Todo } from "../data/todos";

/** The view every live workload maintains: open todos, most recently updated first. */
export const isOpen = (todo: Todo): boolean => !todo.completed;

/** The view's order: `updatedAt` descending, ties by id ascending (Kalphite's tie rule). */
export function newestFirst(a: Todo, b: Todo): number {
  return b.updatedAt - a.updatedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** One implementation of "a filtered + sorted view kept for reading after every write". */
export interface LiveViewImpl {
  /** Loads the collection and builds the view (untimed). */
  load(todos: readonly Todo[]): void | Promise<void>;
  /** Writes a new version of an existing todo (`updatedAt` and maybe `completed` changed). */
  write(next: Todo): void;
  /** Reads the view as a renderer would: its length and its first 20 rows; returns a checksum. */
  read(): number;
  /** The whole view, in order, for checking it against a recompute (untimed). */
  snapshot(): Todo[];
  /** Every todo of the collection (untimed), to recompute the expected view. */
  all(): Todo[];
}

/** Sums what a renderer would touch, so the reads cannot be optimised away. */
export function touchFirst20(length: number, rows: Iterable<Todo>): number {
  let sum = length;
  let k = 0;
  for (const row of rows) {
    sum += row.priority;
    if (++k === 20) break;
  }
  return sum;
}
