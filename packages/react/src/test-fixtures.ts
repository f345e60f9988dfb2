import { z } from "zod";
import { KalphiteStore } from "@kalphite/store";

const Todo = z.object({ id: z.string(), type: z.literal("todo"), title: z.string().min(1), done: z.boolean(), updatedAt: z.number() });
const Note = z.object({ id: z.string(), type: z.literal("note"), body: z.string(), updatedAt: z.number() });

/** A fresh typed store with todos and notes. */
export function makeStore() {
  return KalphiteStore(z.discriminatedUnion("type", [Todo, Note]));
}

export type TestStore = ReturnType<typeof makeStore>;

/** Adds a todo. */
export function addTodo(store: TestStore, id: string, title: string, done = false) {
  return store.todo.upsert(id, { title, done, updatedAt: 1 });
}
