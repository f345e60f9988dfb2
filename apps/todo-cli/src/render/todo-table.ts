import { daysBetween } from "../dates";
import { shortIds } from "../ids";
import type { Todo } from "../schema";
import { isOverdue } from "../todos";
import type { Palette } from "./colors";
import { renderTable, type Cell, type Column } from "./table";
import { safeText } from "./text";

const COLUMNS: readonly Column[] = [
  { header: "ID" },
  { header: "" },
  { header: "PRI", dropRank: 3 },
  { header: "DUE", dropRank: 4 },
  { header: "PROJECT", dropRank: 2 },
  { header: "TAGS", dropRank: 1 },
  { header: "TITLE", flexible: true },
];

const PRIORITY_LABEL = { high: "high", medium: "med", low: "low" } as const;

/** What to draw a table with. */
export interface TodoTableOptions {
  readonly c: Palette;
  /** `YYYY-MM-DD`: decides what is overdue. */
  readonly today: string;
  /** Terminal width in columns. */
  readonly width: number;
  /** Every todo's id, so short ids are unique across all of them, not just the rows shown. */
  readonly allIds: Iterable<string>;
}

function dueCell(todo: Todo, today: string, c: Palette): Cell {
  if (todo.due == null) return { text: "" };
  if (todo.completed) return { text: todo.due };
  if (isOverdue(todo, today)) return { text: `${todo.due} overdue`, style: (s) => c.red(c.bold(s)) };
  const days = daysBetween(today, todo.due);
  if (days === 0) return { text: `${todo.due} today`, style: c.yellow };
  if (days === 1) return { text: `${todo.due} tomorrow`, style: c.yellow };
  return { text: todo.due };
}

function priorityCell(todo: Todo, c: Palette): Cell {
  const style = todo.priority === "high" ? (s: string) => c.red(s) : todo.priority === "medium" ? c.yellow : c.dim;
  return { text: PRIORITY_LABEL[todo.priority], style };
}

/**
 * The todos as an aligned table (header first), fitted to `width`: the title
 * truncates, and on narrow terminals TAGS, PROJECT, PRI and DUE drop out in
 * that order. Overdue dates are red, done rows dimmed; the words `overdue`,
 * `today` and the `[x]` mark carry the same meaning without colour.
 */
export function renderTodoTable(todos: readonly Todo[], options: TodoTableOptions): string[] {
  const { c, today } = options;
  const short = shortIds(options.allIds);
  const rows = todos.map((todo): Cell[] => {
    const cells: Cell[] = [
      { text: short.get(todo.id) ?? todo.id, style: c.cyan },
      { text: todo.completed ? "[x]" : "[ ]", style: todo.completed ? c.green : undefined },
      priorityCell(todo, c),
      dueCell(todo, today, c),
      { text: safeText(todo.project ?? ""), style: c.magenta },
      { text: safeText(todo.tags.map((tag) => `#${tag}`).join(" ")), style: c.blue },
      { text: safeText(todo.title), style: todo.completed ? undefined : c.bold },
    ];
    if (!todo.completed) return cells;
    // A done row reads as one dimmed line.
    return cells.map((cell) => ({ text: cell.text, style: c.dim }));
  });
  // Columns nobody uses (no todo shown has tags, say) take no room.
  const used = COLUMNS.map((column, i) => column.dropRank === undefined || rows.some((row) => row[i]!.text !== ""));
  const pick = <T>(items: readonly T[]) => items.filter((_, i) => used[i]);
  return renderTable(pick(COLUMNS), rows.map(pick), { width: options.width, headerStyle: (s) => c.dim(c.bold(s)) });
}
