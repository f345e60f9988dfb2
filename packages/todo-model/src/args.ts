import { z } from "zod";
import { isIsoDay } from "./dates";
import { TodoModelError, TodoModelErrorCode } from "./errors";
import { MAX_NOTE, MAX_TITLE, PRIORITIES, RECURRENCE } from "./schema";

/** Milliseconds since the epoch: the client's clock when the user acted. */
const now = z.number().int().nonnegative();
/** A client-generated id (the CLI's 12 base32 characters, or any non-empty string up to 200). */
const id = z.string().min(1).max(200);
const day = z.string().refine(isIsoDay, "expected a real day as YYYY-MM-DD");
const every = z.string().regex(RECURRENCE, "expected day, week, month, weekday or Nd (e.g. 3d)");
/** Whitespace collapsed, as the CLI stores it. */
const oneLine = (max: number, what: string) =>
  z
    .string()
    .transform((text) => text.replace(/\s+/g, " ").trim())
    .pipe(z.string().min(1, `the ${what} must not be empty`).max(max, `the ${what} is longer than ${max} characters`));
const tag = z
  .string()
  .transform((text) => text.trim().replace(/^#/, "").toLowerCase())
  .pipe(z.string().min(1, "a tag must not be empty").regex(/^\S+$/, "tags are single words"));
const tags = z.array(tag).transform((list) => [...new Set(list)]);
const projectName = oneLine(500, "project name");

/** `addTodo(tx, args)`: a new open todo. */
export const AddTodoArgs = z.object({
  id,
  title: oneLine(MAX_TITLE, "title"),
  now,
  /** @default "medium" */
  priority: z.enum(PRIORITIES).default("medium"),
  /** @default null */
  due: day.nullable().default(null),
  /** A project name; created (with `projectId`) when no project has it. @default null */
  project: projectName.nullable().default(null),
  /** The id of the project created when `project` names none. @default `${id}-project` */
  projectId: id.optional(),
  /** @default [] */
  tags: tags.default([]),
  /** A first note. */
  note: z.string().trim().min(1, "the note must not be empty").max(MAX_NOTE).optional(),
  /** @default null */
  every: every.nullable().default(null),
});

/** `completeTodo(tx, args)`: marks a todo done; a recurring one gets its next occurrence. */
export const CompleteTodoArgs = z.object({
  id,
  now,
  /** The user's local day (`YYYY-MM-DD`), for the next occurrence's due date. @default the UTC day of `now` */
  today: day.optional(),
  /** The id of the next occurrence of a recurring todo. @default `${id}-${now}` */
  nextId: id.optional(),
});

/** `uncompleteTodo(tx, args)`: marks a done todo open again. */
export const UncompleteTodoArgs = z.object({ id, now });

/** `editTodo(tx, args)`: changes what is given; `null` clears `due`, `project` and `every`. */
export const EditTodoArgs = z
  .object({
    id,
    now,
    title: oneLine(MAX_TITLE, "title").optional(),
    priority: z.enum(PRIORITIES).optional(),
    due: day.nullable().optional(),
    project: projectName.nullable().optional(),
    /** The id of the project created when `project` names none. @default `${id}-project-${now}` */
    projectId: id.optional(),
    addTags: tags.optional(),
    removeTags: tags.optional(),
    every: every.nullable().optional(),
  })
  .refine(
    (a) =>
      a.title !== undefined ||
      a.priority !== undefined ||
      a.due !== undefined ||
      a.project !== undefined ||
      (a.addTags?.length ?? 0) + (a.removeTags?.length ?? 0) > 0 ||
      a.every !== undefined,
    "nothing to change: give title, priority, due, project, addTags, removeTags or every",
  );

/** `addNote(tx, args)`: appends a note to a todo. */
export const AddNoteArgs = z.object({ id, now, text: z.string().trim().min(1, "the note must not be empty").max(MAX_NOTE) });

/** `deleteTodo(tx, args)`: deletes one todo (`id`) or several (`ids`). */
export const DeleteTodoArgs = z.union([z.object({ id }), z.object({ ids: z.array(id).min(1) })]);

/** `clearDone(tx, args?)`: deletes every done todo. */
export const ClearDoneArgs = z.object({}).default({});

/** `addProject(tx, args)`: a new project (refused when one has that name, case-insensitively). */
export const AddProjectArgs = z.object({ id, name: projectName, now });

/** `deleteProject(tx, args)`: deletes the project named `name`; its todos stay, without a project. */
export const DeleteProjectArgs = z.object({ name: projectName, now });

/**
 * Parses a mutator's arguments (they come from the network on the server).
 * @throws TodoModelError `INVALID_INPUT` naming the mutator and the failing path
 */
export function parseArgs<TSchema extends z.ZodType>(mutator: string, schema: TSchema, value: unknown): z.output<TSchema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join(".")}` : "";
  throw new TodoModelError(TodoModelErrorCode.InvalidInput, `${mutator}: invalid arguments${where}: ${issue?.message ?? "rejected"}`);
}
