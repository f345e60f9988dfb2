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
    .action(async (ids: string[], _flags: object, command: Command) => {
      const run = invocation(runtime, command);
      const store = await run.store();
      const todos = resolveTodos(store, ids);
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
    .action(async (_flags: object, command: Command) => {
      const run = invocation(runtime, command);
      const store = await run.store();
      const done = store.todo.filter((todo) => todo.completed);
      store.todo.deleteMany(done.map((todo) => todo.id));
      if (run.json) return run.printJson({ removed: done.length, todos: done });
      run.print(done.length === 0 ? "No done todos to clear." : `Cleared ${done.length} done ${done.length === 1 ? "todo" : "todos"}.`);
    });
}
