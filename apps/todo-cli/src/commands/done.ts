import type { Command } from "commander";
import { resolveId } from "../ids";
import type { TodoStore } from "../projects";
import { invocation, type Runtime } from "../runtime";
import type { Todo } from "../schema";
import { todoLine } from "./describe";

/**
 * The todos the user named by id or unique prefix, each once, in order.
 * Resolves all of them before anything is written.
 * @throws TodoError for an unknown or ambiguous id
 */
export function resolveTodos(store: TodoStore, ids: readonly string[]): Todo[] {
  const found = new Map<string, Todo>();
  for (const id of ids) {
    const todo = resolveId(store.todo, id);
    found.set(todo.id, todo);
  }
  return [...found.values()];
}

function registerCompletion(program: Command, runtime: Runtime, name: "done" | "undo"): void {
  const completed = name === "done";
  program
    .command(name)
    .description(completed ? "mark todos done" : "mark done todos open again")
    .argument("<id...>", "todo ids, or any unique prefix of them")
    .action(async (ids: string[], _flags: object, command: Command) => {
      const run = invocation(runtime, command);
      const store = await run.store();
      const todos = resolveTodos(store, ids);
      const now = run.now.getTime();
      const changed = store.batch(() =>
        todos.map((todo) =>
          todo.completed === completed
            ? { todo, changed: false }
            : {
                todo: store.todo.update(todo.id, (draft) => {
                  draft.completed = completed;
                  draft.completedAt = completed ? now : null;
                  draft.updatedAt = now;
                }),
                changed: true,
              },
        ),
      );
      if (run.json) return run.printJson(changed.map((c) => c.todo));
      for (const { todo, changed: didChange } of changed) {
        const line = todoLine(store, todo, run);
        if (!didChange) run.print(`${line}  ${run.c.dim(completed ? "(already done)" : "(already open)")}`);
        else run.print(`${completed ? run.c.green("Done") : run.c.yellow("Reopened")} ${line}`);
      }
    });
}

/** `done <id...>`: marks todos done (already-done ones are left as they are). */
export function registerDone(program: Command, runtime: Runtime): void {
  registerCompletion(program, runtime, "done");
}

/** `undo <id...>`: marks done todos open again. */
export function registerUndo(program: Command, runtime: Runtime): void {
  registerCompletion(program, runtime, "undo");
}
