import type { Command } from "commander";
import { daysBetween } from "../dates";
import { pad, safeText } from "../render/text";
import { invocation, type Runtime } from "../runtime";
import { PRIORITIES, type Priority, type Todo } from "../schema";
import { isOverdue } from "../todos";

/** What `stats --json` prints. Counts by priority, project and tag are of open todos. */
export interface Stats {
  readonly total: number;
  readonly open: number;
  readonly done: number;
  readonly overdue: number;
  readonly dueToday: number;
  /** Open todos due within the next 7 days, today included. */
  readonly dueThisWeek: number;
  /** Done todos completed in the last 7 days. */
  readonly doneThisWeek: number;
  /** Share of todos done, 0 to 1 (0 when there are none). */
  readonly completionRate: number;
  readonly byPriority: Record<Priority, number>;
  readonly byProject: Record<string, number>;
  readonly byTag: Record<string, number>;
}

/** Counts over all todos, relative to `today` and `now` (ms). */
export function computeStats(todos: readonly Todo[], today: string, now: number): Stats {
  const open = todos.filter((todo) => !todo.completed);
  const count = (keyOf: (todo: Todo) => readonly string[]) => {
    const counts: Record<string, number> = {};
    for (const todo of open) for (const key of keyOf(todo)) counts[key] = (counts[key] ?? 0) + 1;
    return counts;
  };
  const byPriority = Object.fromEntries(PRIORITIES.map((p) => [p, open.filter((todo) => todo.priority === p).length])) as Record<Priority, number>;
  const dueIn = (todo: Todo) => (todo.due == null ? Number.NaN : daysBetween(today, todo.due));
  return {
    total: todos.length,
    open: open.length,
    done: todos.length - open.length,
    overdue: open.filter((todo) => isOverdue(todo, today)).length,
    dueToday: open.filter((todo) => dueIn(todo) === 0).length,
    dueThisWeek: open.filter((todo) => dueIn(todo) >= 0 && dueIn(todo) < 7).length,
    doneThisWeek: todos.filter((todo) => todo.completed && todo.completedAt != null && now - todo.completedAt < 7 * 86_400_000).length,
    completionRate: todos.length === 0 ? 0 : (todos.length - open.length) / todos.length,
    byPriority,
    byProject: count((todo) => [todo.project ?? "(none)"]),
    byTag: count((todo) => todo.tags),
  };
}

/** `stats`: how much is open, done, overdue, and where. */
export function registerStats(program: Command, runtime: Runtime): void {
  program
    .command("stats")
    .description("counts: open, done, overdue, due soon, by priority, project and tag")
    .action(async (_flags: object, command: Command) => {
      const run = invocation(runtime, command);
      const store = await run.store();
      const stats = computeStats(store.todo, run.today, run.now.getTime());
      if (run.json) return run.printJson(stats);
      const { c } = run;
      const row = (label: string, value: string) => run.print(`${c.dim(pad(label, 14))}${value}`);
      const percent = Math.round(stats.completionRate * 100);
      row("Todos", `${stats.total}  (${stats.open} open, ${stats.done} done, ${percent}% complete)`);
      row("Overdue", stats.overdue > 0 ? c.red(String(stats.overdue)) : "0");
      row("Due today", stats.dueToday > 0 ? c.yellow(String(stats.dueToday)) : "0");
      row("Next 7 days", String(stats.dueThisWeek));
      row("Done, 7 days", String(stats.doneThisWeek));
      row("Priority", PRIORITIES.slice().reverse().map((p) => `${p} ${stats.byPriority[p]}`).join(c.dim(" · ")) + c.dim("  (open)"));
      const list = (counts: Record<string, number>, style: (s: string) => string) =>
        Object.entries(counts)
          .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
          .map(([name, n]) => `${style(safeText(name))} ${n}`)
          .join(c.dim(" · ")) || c.dim("none");
      row("Projects", list(stats.byProject, c.magenta));
      row("Tags", list(stats.byTag, (tag) => c.blue(`#${tag}`)));
    });
}
