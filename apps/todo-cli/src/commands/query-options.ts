import { Option, type Command } from "commander";
import { parseDue } from "../dates";
import { resolveProjectName, type TodoStore } from "../projects";
import { PRIORITIES, type Priority } from "../schema";
import { SORT_KEYS, STATUSES, cleanTags, collect, parsePriority, type SortKey, type Status, type TodoQuery } from "../todos";

/** The raw options `addQueryOptions` declares, as commander hands them over. */
export interface QueryFlags {
  readonly status?: Status;
  readonly all?: boolean;
  readonly project?: string;
  readonly tag?: string[];
  readonly overdue?: boolean;
  readonly priority?: Priority;
  readonly sort?: SortKey;
  readonly reverse?: boolean;
  readonly dueBefore?: string;
  readonly dueAfter?: string;
}

/** Declares the filter and sort options shared by `list` and the shell's `watch`. */
export function addQueryOptions(command: Command): Command {
  return command
    .addOption(new Option("-s, --status <status>", "which todos by completion").choices(STATUSES).default("open"))
    .option("-a, --all", "include done todos (same as --status all)")
    .option("-P, --project <name>", "only todos in this project")
    .option("-t, --tag <tag>", "only todos with this tag (repeatable: all must match)", collect)
    .option("-o, --overdue", "only open todos whose due date has passed")
    .addOption(new Option("-p, --priority <level>", `only todos of this priority (${PRIORITIES.join(", ")})`).argParser(parsePriority))
    .addOption(new Option("--sort <key>", "order by").choices(SORT_KEYS).default("created"))
    .option("-r, --reverse", "reverse the order")
    .option("--due-before <date>", "only todos due before this day (any --due form: fri, +1w, 2026-03-01)")
    .option("--due-after <date>", "only todos due after this day");
}

/** The query the flags (and search words) describe. @throws TodoError for an unknown project, a bad tag or date. */
export function queryFromFlags(flags: QueryFlags, store: TodoStore, now: Date, text: readonly string[] = []): TodoQuery {
  return {
    text: text.length === 0 ? undefined : text,
    dueBefore: flags.dueBefore === undefined ? undefined : parseDue(flags.dueBefore, now),
    dueAfter: flags.dueAfter === undefined ? undefined : parseDue(flags.dueAfter, now),
    status: flags.all ? "all" : (flags.status ?? "open"),
    project: flags.project === undefined ? undefined : resolveProjectName(store, flags.project),
    tags: cleanTags(flags.tag ?? []),
    overdue: flags.overdue === true,
    priority: flags.priority,
    sort: flags.sort ?? "created",
    reverse: flags.reverse === true,
  };
}
