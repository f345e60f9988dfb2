import type { Command } from "commander";
import { shortIds } from "../ids";
import type { TodoStore } from "../projects";

/** Words the shell itself understands besides the commands. */
const SHELL_WORDS = ["exit", "quit", "clear", "help"];

/** Commands whose arguments are todo ids. */
const TAKES_IDS = new Set(["done", "reopen", "undo", "edit", "rm", "remove", "show", "note"]);

const quote = (word: string) => (/^[^\s'"\\]+$/.test(word) ? word : `"${word.replace(/["\\]/g, "\\$&")}"`);

/**
 * Tab completion for a shell line (readline's completer): the command name
 * first; then, by position, todo ids (short ids, open todos first), project
 * names after `-P`/`--project`, tags after `-t`/`--tag`/`--untag`, and the
 * command's long options after `-`. Returns readline's `[candidates, word]`.
 */
export function complete(line: string, store: TodoStore, program: Command): [string[], string] {
  const words = line.split(/\s+/);
  const current = words.pop() ?? "";
  const previous = words.filter(Boolean);
  const pick = (candidates: Iterable<string>) => {
    const unique = [...new Set(candidates)];
    const hits = unique.filter((c) => c.toLowerCase().startsWith(current.toLowerCase()));
    return [hits, current] as [string[], string];
  };
  if (previous.length === 0) {
    const names = program.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden).flatMap((c) => [c.name(), ...c.aliases()]);
    return pick([...names, ...SHELL_WORDS].sort());
  }
  const last = previous.at(-1)!;
  if (last === "-P" || last === "--project") {
    return pick([...store.project.map((p) => p.name), ...store.todo.flatMap((t) => (t.project ? [t.project] : []))].map(quote));
  }
  if (last === "-t" || last === "--tag" || last === "--untag") return pick(store.todo.flatMap((t) => t.tags).sort());
  const name = previous[0]!;
  const command = program.commands.find((c) => c.name() === name || c.aliases().includes(name));
  if (current.startsWith("-") && command) return pick(command.options.flatMap((o) => (o.long ? [o.long] : [])));
  if (TAKES_IDS.has(name)) {
    const short = shortIds(store.todo.map((t) => t.id));
    const ordered = [...store.todo].sort((a, b) => Number(a.completed) - Number(b.completed));
    return pick(ordered.map((t) => short.get(t.id) ?? t.id));
  }
  return [[], current];
}
