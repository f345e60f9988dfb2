import { Option, type Command } from "commander";
import { DUE_FORMS, parseDue } from "../dates";
import { TodoError, TodoErrorCode } from "../errors";
import { resolveId } from "../ids";
import { cleanProjectName, ensureProject } from "../projects";
import { invocation, type Runtime } from "../runtime";
import type { Priority } from "../schema";
import { EVERY_FORMS, cleanTags, cleanTitle, collect, parseEvery, parsePriority } from "../todos";
import { describeTodo, todoLine } from "./describe";

interface EditFlags {
  readonly title?: string;
  readonly priority?: Priority;
  /** `false` with `--no-due`. */
  readonly due?: string | false;
  /** `false` with `--no-project`. */
  readonly project?: string | false;
  readonly tag?: string[];
  readonly untag?: string[];
  /** `false` with `--no-every`. */
  readonly every?: string | false;
}

/** `edit <id> [title...]`: changes a todo's title, priority, due date, project or tags. */
export function registerEdit(program: Command, runtime: Runtime): void {
  program
    .command("edit")
    .description("change a todo")
    .argument("<id>", "todo id, or any unique prefix of it")
    .argument("[title...]", "the new title (or use --title)")
    .option("--title <title>", "the new title")
    .addOption(new Option("-p, --priority <level>", "low, medium or high").argParser(parsePriority))
    .option("-d, --due <date>", `new due date: ${DUE_FORMS}, or none`)
    .option("--no-due", "remove the due date")
    .option("-P, --project <name>", "move it to a project (created if new)")
    .option("--no-project", "take it out of its project")
    .option("-t, --tag <tag>", "add a tag (repeatable)", collect)
    .option("--untag <tag>", "remove a tag (repeatable)", collect)
    .addOption(new Option("-e, --every <interval>", `repeat it: ${EVERY_FORMS}`).argParser(parseEvery))
    .option("--no-every", "stop repeating it")
    .addHelpText("after", '\nExamples:\n  kalphite-todo edit k3f9 "Buy oat milk"\n  kalphite-todo edit k3f9 --due +1w --priority high --tag urgent')
    .action(async (id: string, words: string[], flags: EditFlags, command: Command) => {
      const run = invocation(runtime, command);
      if (words.length > 0 && flags.title !== undefined) {
        throw new TodoError(TodoErrorCode.InvalidInput, "give the new title either as words or with --title, not both");
      }
      // Check every input before writing anything.
      const title = flags.title !== undefined ? cleanTitle(flags.title) : words.length > 0 ? cleanTitle(words) : undefined;
      const due =
        flags.due === undefined ? undefined : flags.due === false || flags.due.trim().toLowerCase() === "none" ? null : parseDue(flags.due, run.now);
      const projectName = typeof flags.project === "string" ? cleanProjectName(flags.project) : flags.project;
      const addTags = cleanTags(flags.tag ?? []);
      const removeTags = cleanTags(flags.untag ?? []);
      const nothing =
        title === undefined && flags.priority === undefined && due === undefined && projectName === undefined && addTags.length + removeTags.length === 0 && flags.every === undefined;
      if (nothing) {
        throw new TodoError(TodoErrorCode.InvalidInput, "nothing to change: give a new title or --priority, --due, --project, --tag, --untag, --every, --no-every");
      }
      const store = await run.store();
      const todo = resolveId(store.todo, id);
      const now = run.now.getTime();
      const updated = store.batch(() => {
        const project = typeof projectName === "string" ? ensureProject(store, projectName, now).project.name : projectName === false ? null : undefined;
        return store.todo.update(todo.id, (draft) => {
          if (title !== undefined) draft.title = title;
          if (flags.priority !== undefined) draft.priority = flags.priority;
          if (due !== undefined) draft.due = due;
          if (project !== undefined) draft.project = project;
          if (addTags.length + removeTags.length > 0) {
            draft.tags = [...new Set([...draft.tags, ...addTags])].filter((tag) => !removeTags.includes(tag));
          }
          if (flags.every !== undefined) draft.every = flags.every === false ? null : flags.every;
          draft.updatedAt = now;
        });
      });
      if (run.json) return run.printJson(updated);
      run.print(`${run.c.yellow("Edited")} ${todoLine(store, updated, run)}${describeTodo(updated, run)}`);
    });
}
