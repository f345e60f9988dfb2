import { Option, type Command } from "commander";
import { DUE_FORMS, parseDue } from "../dates";
import { newId } from "../ids";
import { cleanProjectName, ensureProject } from "../projects";
import { invocation, type Runtime } from "../runtime";
import { PRIORITIES, type Priority, type Todo } from "../schema";
import { EVERY_FORMS, cleanNote, cleanTags, cleanTitle, collect, parseEvery, parsePriority } from "../todos";
import { describeTodo, shortIdOf } from "./describe";
import { safeText } from "../render/text";

interface AddFlags {
  readonly priority: Priority;
  readonly due?: string;
  readonly project?: string;
  readonly tag?: string[];
  readonly note?: string;
  readonly every?: string;
}

/** `add <title...>`: a new open todo. */
export function registerAdd(program: Command, runtime: Runtime): void {
  program
    .command("add")
    .description("add a todo")
    .argument("<title...>", 'what to do (quote it, or just type the words: add Buy milk)')
    .addOption(new Option("-p, --priority <level>", `${PRIORITIES.join(", ")} (or l, m, h)`).argParser(parsePriority).default("medium"))
    .option("-d, --due <date>", `when it is due: ${DUE_FORMS}`)
    .option("-P, --project <name>", "put it in a project (created if new)")
    .option("-t, --tag <tag>", "tag it (repeatable, or comma-separated)", collect)
    .option("-n, --note <text>", "a note on it (more with: kalphite-todo note <id> …)")
    .addOption(new Option("-e, --every <interval>", `repeat it: ${EVERY_FORMS}; completing it creates the next`).argParser(parseEvery))
    .addHelpText("after", '\nExamples:\n  kalphite-todo add "Buy milk" --due tomorrow --tag errand\n  kalphite-todo add "File taxes" -p high -d 2026-04-15 -P Home\n  kalphite-todo add "Water plants" --every week --due fri')
    .action(async (words: string[], flags: AddFlags, command: Command) => {
      const run = invocation(runtime, command);
      // Check every input before opening the database: bad input writes nothing.
      const title = cleanTitle(words);
      const due = flags.due === undefined ? null : parseDue(flags.due, run.now);
      const tags = cleanTags(flags.tag ?? []);
      const projectName = flags.project === undefined ? undefined : cleanProjectName(flags.project);
      const note = flags.note === undefined ? undefined : cleanNote(flags.note);
      const store = await run.store();
      const now = run.now.getTime();
      const id = newId();
      const todo = store.batch((): Todo => {
        const project = projectName === undefined ? null : ensureProject(store, projectName, now).project.name;
        return store.todo.upsert(id, {
          id,
          type: "todo",
          title,
          completed: false,
          priority: flags.priority,
          due,
          project,
          tags,
          createdAt: now,
          updatedAt: now,
          completedAt: null,
          notes: note === undefined ? [] : [{ text: note, at: now }],
          every: flags.every ?? null,
        });
      });
      if (run.json) return run.printJson(todo);
      run.print(`Added ${run.c.cyan(shortIdOf(store, id))}  ${run.c.bold(safeText(todo.title))}${describeTodo(todo, run)}`);
    });
}
