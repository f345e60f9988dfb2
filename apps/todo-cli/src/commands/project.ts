import type { Command } from "commander";
import { TodoError, TodoErrorCode } from "../errors";
import { newId } from "../ids";
import { cleanProjectName, findProject, type TodoStore } from "../projects";
import { renderTable } from "../render/table";
import { safeText } from "../render/text";
import { invocation, type Runtime } from "../runtime";

/** A project with its todo counts, as `project list` shows it. */
export interface ProjectSummary {
  readonly id: string | null;
  readonly name: string;
  readonly open: number;
  readonly done: number;
}

/** Every project (and any project name a todo uses without one) with its counts, by name. */
export function summarizeProjects(store: TodoStore): ProjectSummary[] {
  const byName = new Map<string, { id: string | null; name: string; open: number; done: number }>();
  for (const project of store.project) byName.set(project.name.toLowerCase(), { id: project.id, name: project.name, open: 0, done: 0 });
  for (const todo of store.todo) {
    if (todo.project == null) continue;
    const key = todo.project.toLowerCase();
    const entry = byName.get(key) ?? { id: null, name: todo.project, open: 0, done: 0 };
    byName.set(key, entry);
    if (todo.completed) entry.done++;
    else entry.open++;
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** `project add|list|rm`: named groups of todos. */
export function registerProject(program: Command, runtime: Runtime): void {
  const project = program.command("project").description("manage projects (add, list, rm)");

  project
    .command("add")
    .description("create a project")
    .argument("<name>", "the project's name")
    .action(async (name: string, _flags: object, command: Command) => {
      const run = invocation(runtime, command);
      const clean = cleanProjectName(name);
      const store = await run.store();
      const existing = findProject(store, clean);
      if (existing) throw new TodoError(TodoErrorCode.Conflict, `project "${existing.name}" already exists`);
      const now = run.now.getTime();
      const id = newId();
      const created = store.project.upsert(id, { id, type: "project", name: clean, createdAt: now, updatedAt: now });
      if (run.json) return run.printJson(created);
      run.print(`Created project ${run.c.magenta(safeText(created.name))}`);
    });

  project
    .command("list")
    .alias("ls")
    .description("list projects with their open and done counts")
    .action(async (_flags: object, command: Command) => {
      const run = invocation(runtime, command);
      const summaries = summarizeProjects(await run.store());
      if (run.json) return run.printJson(summaries);
      if (summaries.length === 0) return run.print('No projects yet. Create one: kalphite-todo project add "Home"');
      const lines = renderTable(
        [{ header: "PROJECT", flexible: true }, { header: "OPEN", align: "right" }, { header: "DONE", align: "right" }],
        summaries.map((s) => [{ text: safeText(s.name), style: run.c.magenta }, { text: String(s.open) }, { text: String(s.done), style: run.c.dim }]),
        { width: run.width, headerStyle: (s) => run.c.dim(run.c.bold(s)) },
      );
      for (const line of lines) run.print(line);
    });

  project
    .command("rm")
    .alias("remove")
    .description("delete a project; its todos stay, without a project")
    .argument("<name>", "the project's name")
    .option("-y, --yes", "do not ask when todos would lose their project")
    .action(async (name: string, flags: { yes?: boolean }, command: Command) => {
      const run = invocation(runtime, command);
      const store = await run.store();
      const found = findProject(store, name);
      const wanted = (found?.name ?? name.trim()).toLowerCase();
      const todos = store.todo.filter((todo) => todo.project?.toLowerCase() === wanted);
      if (!found && todos.length === 0) throw new TodoError(TodoErrorCode.NotFound, `no project "${name}"`);
      if (todos.length > 0 && !(await run.confirm(`Remove project ${found?.name ?? name.trim()}? ${todos.length} ${todos.length === 1 ? "todo loses" : "todos lose"} it.`, flags.yes))) {
        return run.print("Nothing removed.");
      }
      const now = run.now.getTime();
      store.batch(() => {
        if (found) store.project.delete(found.id);
        for (const todo of todos) {
          store.todo.update(todo.id, (draft) => {
            draft.project = null;
            draft.updatedAt = now;
          });
        }
      });
      if (run.json) return run.printJson({ removed: found?.name ?? name.trim(), todosUnassigned: todos.length });
      const moved = todos.length === 0 ? "" : ` (${todos.length} ${todos.length === 1 ? "todo" : "todos"} now without a project)`;
      run.print(`Removed project ${run.c.magenta(safeText(found?.name ?? name.trim()))}${moved}`);
    });
}
