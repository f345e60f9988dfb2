import { InvalidArgumentError } from "commander";
import { daysBetween } from "./dates";
import { TodoError, TodoErrorCode } from "./errors";
import { oneLine } from "./render/text";
import { MAX_NOTE, MAX_TITLE, PRIORITIES, RECURRENCE, type Priority, type Todo } from "./schema";

/** Which todos `list` shows by completion. */
export const STATUSES = ["open", "done", "all"] as const;

/** One of `STATUSES`. */
export type Status = (typeof STATUSES)[number];

/** The orders `list --sort` offers. */
export const SORT_KEYS = ["priority", "due", "created"] as const;

/** One of `SORT_KEYS`. */
export type SortKey = (typeof SORT_KEYS)[number];

/** What `list` (and the shell's live list) shows. */
export interface TodoQuery {
  readonly status: Status;
  /** Project name, matched case-insensitively. */
  readonly project?: string | undefined;
  /** Every listed tag must be present. */
  readonly tags: readonly string[];
  readonly overdue: boolean;
  readonly priority?: Priority | undefined;
  readonly sort: SortKey;
  readonly reverse: boolean;
  /** Words that must all appear (case-insensitive) in the title, a note, the project or a tag. */
  readonly text?: readonly string[] | undefined;
  /** Only todos due strictly before this day (`YYYY-MM-DD`). */
  readonly dueBefore?: string | undefined;
  /** Only todos due strictly after this day (`YYYY-MM-DD`). */
  readonly dueAfter?: string | undefined;
}

/** Open todos, oldest first: what a bare `list` shows. */
export const DEFAULT_QUERY: TodoQuery = { status: "open", tags: [], overdue: false, sort: "created", reverse: false };

const RANK: Record<Priority, number> = { high: 0, medium: 1, low: 2 };

/** Whether `todo` is open and due before `today` (`YYYY-MM-DD`). */
export function isOverdue(todo: Todo, today: string): boolean {
  return !todo.completed && todo.due != null && daysBetween(today, todo.due) < 0;
}

/** Whether `todo` passes the query's filters (not its order). */
export function matches(todo: Todo, query: TodoQuery, today: string): boolean {
  if (query.status === "open" && todo.completed) return false;
  if (query.status === "done" && !todo.completed) return false;
  if (query.project !== undefined && todo.project?.toLowerCase() !== query.project.toLowerCase()) return false;
  if (query.priority !== undefined && todo.priority !== query.priority) return false;
  if (query.overdue && !isOverdue(todo, today)) return false;
  if (query.dueBefore !== undefined && (todo.due == null || todo.due >= query.dueBefore)) return false;
  if (query.dueAfter !== undefined && (todo.due == null || todo.due <= query.dueAfter)) return false;
  if (!query.tags.every((tag) => todo.tags.includes(tag))) return false;
  if (query.text !== undefined && query.text.length > 0) {
    const haystack = [todo.title, todo.project ?? "", ...todo.tags, ...(todo.notes ?? []).map((note) => note.text)].join("\n").toLowerCase();
    return query.text.every((word) => haystack.includes(word.toLowerCase()));
  }
  return true;
}

const byCreated = (a: Todo, b: Todo) => a.createdAt - b.createdAt;
const byPriority = (a: Todo, b: Todo) => RANK[a.priority] - RANK[b.priority];
// Todos without a due date sort after every dated one.
const byDue = (a: Todo, b: Todo) => (a.due ?? "9999-99-99").localeCompare(b.due ?? "9999-99-99");

const ORDERS: Record<SortKey, (a: Todo, b: Todo) => number> = {
  priority: (a, b) => byPriority(a, b) || byDue(a, b) || byCreated(a, b),
  due: (a, b) => byDue(a, b) || byPriority(a, b) || byCreated(a, b),
  created: (a, b) => byCreated(a, b),
};

/**
 * Orders todos by `sort` (open before done), reversed within each group when
 * asked. Ties keep the given order (the store's: the order they were added).
 */
export function sortTodos(todos: readonly Todo[], sort: SortKey, reverse = false): Todo[] {
  const order = ORDERS[sort];
  const sign = reverse ? -1 : 1;
  return [...todos].sort((a, b) => Number(a.completed) - Number(b.completed) || sign * order(a, b));
}

/** The todos a query selects, in its order. */
export function selectTodos(todos: readonly Todo[], query: TodoQuery, today: string): Todo[] {
  return sortTodos(todos.filter((todo) => matches(todo, query, today)), query.sort, query.reverse);
}

/** A commander argument parser for `--priority`: `low`, `medium`, `high` (or `l`, `m`, `h`; any case). */
export function parsePriority(value: string): Priority {
  const text = value.trim().toLowerCase();
  const found = PRIORITIES.find((p) => p === text || p[0] === text || (p === "medium" && text === "med"));
  if (!found) throw new InvalidArgumentError(`priority must be ${PRIORITIES.join(", ")}`);
  return found;
}

const count = (n: number) => n.toLocaleString("en-US");

/**
 * The title as stored: whitespace collapsed, at most `MAX_TITLE` characters.
 * @throws TodoError when it is empty or too long (checked before anything else is done with it)
 */
export function cleanTitle(parts: string | readonly string[]): string {
  const raw = typeof parts === "string" ? parts : parts.join(" ");
  // Measured before collapsing, so a huge title costs no more than its length check.
  if (raw.length > MAX_TITLE * 4) throw tooLong("title", raw.length, MAX_TITLE);
  const title = oneLine(raw);
  if (title === "") throw new TodoError(TodoErrorCode.InvalidInput, "the title must not be empty");
  if (title.length > MAX_TITLE) throw tooLong("title", title.length, MAX_TITLE);
  return title;
}

function tooLong(what: string, length: number, max: number): TodoError {
  return new TodoError(TodoErrorCode.InvalidInput, `the ${what} is ${count(length)} characters long; the limit is ${count(max)} (put details in a note: kalphite-todo note <id> …)`);
}

/** A note as stored: trimmed, at most `MAX_NOTE` characters. @throws TodoError when empty or too long */
export function cleanNote(parts: string | readonly string[]): string {
  const text = (typeof parts === "string" ? parts : parts.join(" ")).trim();
  if (text === "") throw new TodoError(TodoErrorCode.InvalidInput, "the note must not be empty");
  if (text.length > MAX_NOTE) throw new TodoError(TodoErrorCode.InvalidInput, `the note is ${count(text.length)} characters long; the limit is ${count(MAX_NOTE)}`);
  return text;
}

/** The forms `--every` accepts. */
export const EVERY_FORMS = "day, week, month, weekday or Nd (every N days, e.g. 3d)";

/** A commander argument parser for `--every`. */
export function parseEvery(value: string): string {
  const text = value.trim().toLowerCase().replace(/^(daily)$/, "day").replace(/^(weekly)$/, "week").replace(/^(monthly)$/, "month").replace(/^weekdays$/, "weekday");
  if (!RECURRENCE.test(text)) throw new InvalidArgumentError(`repeat with ${EVERY_FORMS}`);
  return text;
}

/**
 * Tags as stored: lower case, without a leading `#`, split on commas,
 * de-duplicated. @throws TodoError on an empty tag or one with spaces.
 */
export function cleanTags(values: readonly string[]): string[] {
  const tags = new Set<string>();
  for (const value of values) {
    for (const raw of value.split(",")) {
      const tag = raw.trim().replace(/^#/, "").toLowerCase();
      if (tag === "" || /\s/.test(tag)) {
        throw new TodoError(TodoErrorCode.InvalidInput, `invalid tag "${raw.trim()}": tags are single words, e.g. --tag home`);
      }
      tags.add(tag);
    }
  }
  return [...tags];
}

/** A commander collector for repeatable options (`--tag a --tag b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
