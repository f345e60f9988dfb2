import { describeDue } from "../dates";
import { shortIds } from "../ids";
import type { TodoStore } from "../projects";
import type { Invocation } from "../runtime";
import type { Todo } from "../schema";
import { safeText } from "../render/text";
import { describeEvery } from "../recurrence";

/** The short id `list` shows for `id` (unique among all todos). */
export function shortIdOf(store: TodoStore, id: string): string {
  return shortIds(store.todo.map((todo) => todo.id)).get(id) ?? id;
}

/** A dimmed ` (high · due tomorrow · Home · #errand)` suffix naming what is set besides the title. */
export function describeTodo(todo: Todo, run: Pick<Invocation, "c" | "today">): string {
  const parts: string[] = [];
  if (todo.priority !== "medium") parts.push(todo.priority);
  if (todo.due != null) parts.push(`due ${todo.due} (${describeDue(todo.due, run.today)})`);
  if (todo.project != null) parts.push(todo.project);
  parts.push(...todo.tags.map((tag) => `#${tag}`));
  if (todo.every) parts.push(describeEvery(todo.every));
  return parts.length === 0 ? "" : run.c.dim(`  (${safeText(parts.join(" · "))})`);
}

/** A todo as one line for messages: `k3f9  Buy milk`. */
export function todoLine(store: TodoStore, todo: Todo, run: Pick<Invocation, "c">): string {
  return `${run.c.cyan(shortIdOf(store, todo.id))}  ${safeText(todo.title)}`;
}
