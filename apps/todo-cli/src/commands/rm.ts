import type { Command } from "commander";
import { invocation, type Runtime } from "../runtime";
import { todoLine } from "./describe";
import { resolveTodos } from "./done";

/** `rm <id...>`: deletes todos. */
export function registerRm(program: Command, runtime: Runtime): void {
  program
    .command("rm")
    .alias("remove")
    .description("delete todos")
    .argument("<id...>", "todo ids, or any unique prefix of them")
    .option("-y, --yes", "do not ask before deleting several todos")
    .action(async (ids: string[], flags: { yes?: boolean }, command: Command) => {
      const run = invocation(runtime, command);
      const store = await run.store();
      const todos = resolveTodos(store, ids);
      if (todos.length > 1 && !(await run.confirm(`Delete ${todos.length} todos? (undo brings them back)`, flags.yes))) return run.print("Nothing deleted.");
      // Describe before deleting: short ids are computed over the todos that exist.
      const lines = todos.map((todo) => todoLine(store, todo, run));
      store.todo.deleteMany(todos.map((todo) => todo.id));
      if (run.json) return run.printJson(todos);
      for (const line of lines) run.print(`${run.c.red("Removed")} ${line}`);
    });
}

/** `clear-done`: deletes every done todo. */
export function registerClearDone(program: Command, runtime: Runtime): void {
  program
    .command("clear-done")
    .description("delete every done todo")
    .option("-y, --yes", "do not ask first")
    .action(async (flags: { yes?: boolean }, command: Command) => {
      const run = invocation(runtime, command);
      const store = await run.store();
      const done = store.todo.filter((todo) => todo.completed);
      if (done.length > 0 && !(await run.confirm(`Delete ${done.length} done ${done.length === 1 ? "todo" : "todos"}? (undo brings them back)`, flags.yes))) {
        return run.print("Nothing deleted.");
      }
      store.todo.deleteMany(done.map((todo) => todo.id));
      if (run.json) return run.printJson({ removed: done.length, todos: done });
      run.print(done.length === 0 ? "No done todos to clear." : `Cleared ${done.length} done ${done.length === 1 ? "todo" : "todos"}.`);
    });
}
