import type { Todo } from "../schema";
import { isOverdue, selectTodos, type TodoQuery } from "../todos";
import type { Palette } from "./colors";
import { truncate } from "./text";
import { renderTodoTable } from "./todo-table";

/** What `renderListView` needs besides the todos. */
export interface ListViewOptions {
  readonly c: Palette;
  readonly today: string;
  readonly width: number;
}

function isFiltered(query: TodoQuery): boolean {
  return (
    query.project !== undefined || query.tags.length > 0 || query.overdue || query.priority !== undefined ||
    (query.text?.length ?? 0) > 0 || query.dueBefore !== undefined || query.dueAfter !== undefined
  );
}

/**
 * What `list` prints for `query`: the table and a one-line summary, or a
 * friendly line when nothing matches. Used by `list` and the shell's live list.
 */
export function renderListView(all: readonly Todo[], query: TodoQuery, options: ListViewOptions): string[] {
  const { c, today } = options;
  const shown = selectTodos(all, query, today);
  if (all.length === 0) return [`No todos yet. Add one: ${c.bold('kalphite-todo add "Buy milk" --due tomorrow')}`];
  const open = all.filter((todo) => !todo.completed).length;
  const overdue = all.filter((todo) => isOverdue(todo, today)).length;
  const done = all.length - open;
  const parts = [`${shown.length === 1 ? "1 todo" : `${shown.length} todos`} shown`, `${open} open`];
  if (overdue > 0) parts.push(`${overdue} overdue`);
  parts.push(`${done} done${query.status === "open" && done > 0 ? " (hidden; --all shows them)" : ""}`);
  const summary = c.dim(truncate(parts.join(" · "), options.width));
  if (shown.length === 0) {
    const why = isFiltered(query) ? "No todos match these filters." : query.status === "done" ? "Nothing done yet." : "Nothing open. Well done!";
    return [why, summary];
  }
  return [...renderTodoTable(shown, { ...options, allIds: all.map((todo) => todo.id) }), summary];
}
