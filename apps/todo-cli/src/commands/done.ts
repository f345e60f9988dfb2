import type { Command } from "commander";
import { resolveId } from "../ids";
import type { TodoStore } from "../projects";
import { invocation, type Runtime } from "../runtime";
import { safeText } from "../render/text";
import { newId } from "../ids";
import { describeEvery, nextDue } from "../recurrence";
import type { Todo } from "../schema";
import { undoLast } from "../undo";
import { describeTodo, todoLine } from "./describe";

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

function registerCompletion(program: Command, runtime: Runtime, name: "done" | "reopen"): Command {
  const completed = name === "done";
  return program
    .command(name)
    .description(completed ? "mark todos done (a recurring one gets its next occurrence)" : "mark done todos open again")
    .argument("<id...>", "todo ids, or any unique prefix of them")
    .action(async (ids: string[], _flags: object, command: Command) => {
      const run = invocation(runtime, command);
      const store = await run.store();
      const todos = resolveTodos(store, ids);
      await setCompleted(run, store, todos, completed);
    });
}

/** Marks `todos` done or open in one batch and prints what happened; completing a recurring todo creates its next occurrence. */
async function setCompleted(run: ReturnType<typeof invocation>, store: TodoStore, todos: readonly Todo[], completed: boolean): Promise<void> {
  const now = run.now.getTime();
  const changed = store.batch(() =>
    todos.map((todo) => {
      if (todo.completed === completed) return { todo, changed: false, next: undefined };
      const updated = store.todo.update(todo.id, (draft) => {
        draft.completed = completed;
        draft.completedAt = completed ? now : null;
        draft.updatedAt = now;
      });
      let next: Todo | undefined;
      if (completed && todo.every) {
        const id = newId();
        next = store.todo.upsert(id, {
          ...todo,
          id,
          due: nextDue(todo.every, todo.due, run.today),
          notes: [],
          completed: false,
          completedAt: null,
          createdAt: now,
          updatedAt: now,
        });
      }
      return { todo: updated, changed: true, next };
    }),
  );
  if (run.json) return run.printJson(changed.flatMap((c) => (c.next ? [c.todo, c.next] : [c.todo])));
  for (const { todo, changed: didChange, next } of changed) {
    const line = todoLine(store, todo, run);
    if (!didChange) run.print(`${line}  ${run.c.dim(completed ? "(already done)" : "(already open)")}`);
    else run.print(`${completed ? run.c.green("Done") : run.c.yellow("Reopened")} ${line}`);
    if (next) run.print(`${run.c.cyan("Next")} ${todoLine(store, next, run)}${describeTodo(next, run)}  ${run.c.dim(`(${describeEvery(next.every!)})`)}`);
  }
}

/** `done <id...>`: marks todos done (already-done ones are left as they are). */
export function registerDone(program: Command, runtime: Runtime): void {
  registerCompletion(program, runtime, "done");
}

/** `reopen <id...>`: marks done todos open again. */
export function registerReopen(program: Command, runtime: Runtime): void {
  registerCompletion(program, runtime, "reopen");
}

/**
 * `undo`: reverts the last command that changed something (add, done,
 * reopen, edit, rm, clear-done, note, import, project add/rm), up to 20
 * back. `undo <id...>` reopens done todos, as it did before `reopen` existed.
 */
export function registerUndo(program: Command, runtime: Runtime): void {
  program
    .command("undo")
    .description("revert the last command that changed something (again: the one before)")
    .argument("[id...]", "with ids: reopen these done todos (same as reopen)")
    .action(async (ids: string[], _flags: object, command: Command) => {
      const run = invocation(runtime, command);
      const store = await run.store();
      if (ids.length > 0) return setCompleted(run, store, resolveTodos(store, ids), false);
      const result = undoLast(store);
      if (run.json) return run.printJson(result ?? null);
      if (!result) return run.print("Nothing to undo.");
      const parts = [];
      if (result.restored > 0) parts.push(`${result.restored} restored`);
      if (result.removed > 0) parts.push(`${result.removed} removed`);
      run.print(`Undid ${run.c.bold(safeText(result.command))}${parts.length > 0 ? run.c.dim(`  (${parts.join(", ")})`) : ""}`);
    });
}
