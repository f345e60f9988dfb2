/** The todo app's entities: the CLI (apps/todo-cli/src/schema.ts re-exports this module), the sync server and the web app share them. */
import { z } from "zod";

/** How urgent a todo is, lowest first. */
export const PRIORITIES = ["low", "medium", "high"] as const;

/** One of `PRIORITIES`. */
export type Priority = (typeof PRIORITIES)[number];

/** A calendar date, `YYYY-MM-DD` (no time, no zone: a due date is a day). */
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected a date as YYYY-MM-DD");

/** Milliseconds since the epoch. */
const timestamp = z.number().int().nonnegative();

/** The longest title accepted. @default 500 */
export const MAX_TITLE = 500;
/** The longest note accepted. @default 10000 */
export const MAX_NOTE = 10_000;

/** How a recurring todo repeats: `day`, `week`, `month`, `weekday` (Monday to Friday) or every `N` days (`3d`). */
export const RECURRENCE = /^(day|week|month|weekday|[1-9]\d{0,3}d)$/;

/** A note on a todo. */
export const NoteSchema = z.object({ text: z.string().min(1).max(MAX_NOTE), at: timestamp });

/** A todo as stored: `store.todo`. */
export const TodoSchema = z.object({
  id: z.string().min(1),
  type: z.literal("todo"),
  title: z.string().trim().min(1, "the title must not be empty").max(MAX_TITLE),
  completed: z.boolean(),
  priority: z.enum(PRIORITIES),
  due: isoDate.nullable().optional(),
  project: z.string().min(1).nullable().optional(),
  tags: z.array(z.string().min(1)),
  createdAt: timestamp,
  updatedAt: timestamp,
  completedAt: timestamp.nullable().optional(),
  /** Notes, oldest first. */
  notes: z.array(NoteSchema).optional(),
  /** Repeats: completing it creates the next occurrence. */
  every: z.string().regex(RECURRENCE).nullable().optional(),
});

/** A project as stored: `store.project`. Todos refer to a project by its `name`. */
export const ProjectSchema = z.object({
  id: z.string().min(1),
  type: z.literal("project"),
  name: z.string().trim().min(1, "the project name must not be empty"),
  createdAt: timestamp,
  updatedAt: timestamp,
});

/** One entity as it was before a command changed it (`null`: it did not exist). */
const UndoChangeSchema = z.object({
  type: z.enum(["todo", "project"]),
  id: z.string().min(1),
  before: z.union([TodoSchema, ProjectSchema]).nullable(),
});

/** What `undo` reverts: the last commands, newest last, as the entities they changed looked before. */
export const UndoSchema = z.object({
  id: z.string().min(1),
  type: z.literal("undo"),
  /** The command as typed, e.g. `rm k3f9`. */
  command: z.string(),
  at: timestamp,
  /** Orders the records: one more than the newest before it. */
  seq: z.number().int().nonnegative(),
  changes: z.array(UndoChangeSchema),
});

/** Every entity the app stores, discriminated on `type`. */
export const EntitySchema = z.discriminatedUnion("type", [TodoSchema, ProjectSchema, UndoSchema]);

/** A todo. */
export type Todo = z.infer<typeof TodoSchema>;

/** A project. */
export type Project = z.infer<typeof ProjectSchema>;

/** An undo record. */
export type UndoRecord = z.infer<typeof UndoSchema>;

/** A note on a todo. */
export type Note = z.infer<typeof NoteSchema>;

/** A todo, a project or an undo record. */
export type AppEntity = z.infer<typeof EntitySchema>;

/**
 * The schema of each synced entity type, for the sync server
 * (`createOperationSyncServer({ schema: todoEntitySchemas })`): todos and
 * projects. Undo records are local to a client and never synced.
 */
export const todoEntitySchemas = { todo: TodoSchema, project: ProjectSchema } as const;
