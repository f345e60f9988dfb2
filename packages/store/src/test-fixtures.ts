import { z } from "zod";

/** Schemas shared by the store's tests. */
export const Todo = z.object({
  id: z.string(),
  type: z.literal("todo"),
  title: z.string().min(1),
  completed: z.boolean(),
  priority: z.number().int().min(0).max(5).default(0),
  tags: z.array(z.string()).default([]),
  updatedAt: z.number(),
});
export const Note = z.object({
  id: z.string(),
  type: z.literal("note"),
  body: z.string(),
  meta: z.object({ pinned: z.boolean() }).optional(),
  updatedAt: z.number(),
});
export const AppSchema = z.discriminatedUnion("type", [Todo, Note]);
export type TodoEntity = z.output<typeof Todo>;
export type NoteEntity = z.output<typeof Note>;

export const todo = (id: string, fields: Partial<TodoEntity> = {}): TodoEntity => ({
  id,
  type: "todo",
  title: `todo ${id}`,
  completed: false,
  priority: 0,
  tags: [],
  updatedAt: 1,
  ...fields,
});
