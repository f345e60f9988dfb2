import { z } from "zod";

/** How urgent a todo is, lowest first. */
export const PRIORITIES = ["low", "medium", "high"] as const;

/** One of `PRIORITIES`. */
export type Priority = (typeof PRIORITIES)[number];

/** A calendar date, `YYYY-MM-DD` (no time, no zone: a due date is a day). */
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected a date as YYYY-MM-DD");

/** Milliseconds since the epoch. */
const timestamp = z.number().int().nonnegative();

/** A todo as stored: `store.todo`. */
export const TodoSchema = z.object({
  id: z.string().min(1),
  type: z.literal("todo"),
  title: z.string().trim().min(1, "the title must not be empty"),
  completed: z.boolean(),
  priority: z.enum(PRIORITIES),
  due: isoDate.nullable().optional(),
  project: z.string().min(1).nullable().optional(),
  tags: z.array(z.string().min(1)),
  createdAt: timestamp,
  updatedAt: timestamp,
  completedAt: timestamp.nullable().optional(),
});

/** A project as stored: `store.project`. Todos refer to a project by its `name`. */
export const ProjectSchema = z.object({
  id: z.string().min(1),
  type: z.literal("project"),
  name: z.string().trim().min(1, "the project name must not be empty"),
  createdAt: timestamp,
  updatedAt: timestamp,
});

/** Every entity the app stores, discriminated on `type`. */
export const EntitySchema = z.discriminatedUnion("type", [TodoSchema, ProjectSchema]);

/** A todo. */
export type Todo = z.infer<typeof TodoSchema>;

/** A project. */
export type Project = z.infer<typeof ProjectSchema>;

/** A todo or a project. */
export type AppEntity = z.infer<typeof EntitySchema>;
