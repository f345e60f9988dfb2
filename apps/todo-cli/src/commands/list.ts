import type { Command } from "commander";
import { renderListView } from "../render/list-view";
import { invocation, type Runtime } from "../runtime";
import { selectTodos } from "../todos";
import { addQueryOptions, queryFromFlags, type QueryFlags } from "./query-options";

/** `list`: the todos as a table (open ones, oldest first, unless told otherwise). */
export function registerList(program: Command, runtime: Runtime): void {
  const list = program
    .command("list")
    .alias("ls")
    .description("show todos as a table (open ones unless --all or --status); words search titles, notes, projects and tags")
    .argument("[words...]", "only todos containing every word (case-insensitive)");
  addQueryOptions(list)
    .addHelpText("after", "\nExamples:\n  kalphite-todo list milk\n  kalphite-todo list --due-before fri --tag errand\n  kalphite-todo list --all --sort due\n  kalphite-todo list --project Home --tag errand\n  kalphite-todo list --overdue --json")
    .action(async (words: string[], flags: QueryFlags, command: Command) => {
      const run = invocation(runtime, command);
      const store = await run.store();
      const query = queryFromFlags(flags, store, run.now, words);
      if (run.json) {
        run.printJson(selectTodos(store.todo, query, run.today));
        return;
      }
      for (const line of renderListView(store.todo, query, run)) run.print(line);
    });
}
