import type { Command } from "commander";
import { describeDue } from "../dates";
import { resolveId } from "../ids";
import { describeEvery } from "../recurrence";
import { pad, safeText } from "../render/text";
import { invocation, type Runtime } from "../runtime";
import { cleanNote } from "../todos";
import { shortIdOf, todoLine } from "./describe";

const time = (ms: number | null | undefined) => (ms == null ? "" : new Date(ms).toLocaleString("sv-SE").slice(0, 16));

/** `show <id>`: every field of one todo, its notes included. */
export function registerShow(program: Command, runtime: Runtime): void {
  program
    .command("show")
    .description("show every field of a todo, and its notes")
    .argument("<id>", "todo id, or any unique prefix of it")
    .action(async (id: string, _flags: object, command: Command) => {
      const run = invocation(runtime, command);
      const store = await run.store();
      const todo = resolveId(store.todo, id);
      if (run.json) return run.printJson(todo);
      const { c } = run;
      const row = (label: string, value: string) => run.print(`${c.dim(pad(label, 10))}${value}`);
      row("id", `${c.cyan(shortIdOf(store, todo.id))}${c.dim(todo.id.slice(shortIdOf(store, todo.id).length))}`);
      row("title", c.bold(safeText(todo.title)));
      row("status", todo.completed ? c.green(`done ${time(todo.completedAt)}`) : "open");
      row("priority", todo.priority);
      row("due", todo.due == null ? c.dim("none") : `${todo.due} (${describeDue(todo.due, run.today)})`);
      row("project", todo.project == null ? c.dim("none") : c.magenta(safeText(todo.project)));
      row("tags", todo.tags.length === 0 ? c.dim("none") : c.blue(safeText(todo.tags.map((t) => `#${t}`).join(" "))));
      row("repeats", todo.every ? describeEvery(todo.every) : c.dim("no"));
      row("created", time(todo.createdAt));
      row("updated", time(todo.updatedAt));
      const notes = todo.notes ?? [];
      row("notes", notes.length === 0 ? c.dim("none") : String(notes.length));
      for (const note of notes) {
        const [first, ...rest] = safeText(note.text.replace(/\r?\n/g, "\u0000")).split("\\x00");
        run.print(`  ${c.dim(time(note.at))}  ${first}`);
        for (const line of rest) run.print(`  ${" ".repeat(16)}  ${line}`);
      }
    });
}

/** `note <id> <text...>`: adds a note to a todo (shown by `show`, searched by `list <words>`). */
export function registerNote(program: Command, runtime: Runtime): void {
  program
    .command("note")
    .description("add a note to a todo")
    .argument("<id>", "todo id, or any unique prefix of it")
    .argument("<text...>", "the note (quote it, or just type the words)")
    .action(async (id: string, words: string[], _flags: object, command: Command) => {
      const run = invocation(runtime, command);
      const text = cleanNote(words);
      const store = await run.store();
      const todo = resolveId(store.todo, id);
      const now = run.now.getTime();
      const updated = store.todo.update(todo.id, (draft) => {
        draft.notes = [...(draft.notes ?? []), { text, at: now }];
        draft.updatedAt = now;
      });
      if (run.json) return run.printJson(updated);
      run.print(`${run.c.yellow("Noted")} ${todoLine(store, updated, run)}  ${run.c.dim(`(${updated.notes!.length} ${updated.notes!.length === 1 ? "note" : "notes"})`)}`);
    });
}
