import type { KalphiteStore } from "kalphite";
import { TodoError, TodoErrorCode } from "./errors";
import { newId } from "./ids";
import { oneLine } from "./render/text";
import type { AppEntity, Project } from "./schema";

/** The app's store: `store.todo` and `store.project`. */
export type TodoStore = KalphiteStore<AppEntity>;

/** The project called `name` (case-insensitive), if there is one. */
export function findProject(store: TodoStore, name: string): Project | undefined {
  const wanted = name.trim().toLowerCase();
  return store.project.find((project) => project.name.toLowerCase() === wanted);
}

/** A project name as stored: whitespace collapsed. @throws TodoError when empty. */
export function cleanProjectName(name: string): string {
  const clean = oneLine(name);
  if (clean === "") throw new TodoError(TodoErrorCode.InvalidInput, "the project name must not be empty");
  return clean;
}

/**
 * The project called `name`, created when there is none (so `add --project
 * Home` just works). `created` tells whether it is new.
 */
export function ensureProject(store: TodoStore, name: string, now: number): { project: Project; created: boolean } {
  const existing = findProject(store, name);
  if (existing) return { project: existing, created: false };
  const id = newId();
  const project = store.project.upsert(id, { id, type: "project", name: cleanProjectName(name), createdAt: now, updatedAt: now });
  return { project, created: true };
}

/**
 * The canonical name of a project the user named for filtering: the stored
 * spelling when the project (or a todo in it) exists.
 * @throws TodoError `NOT_FOUND` when neither does
 */
export function resolveProjectName(store: TodoStore, name: string): string {
  const project = findProject(store, name);
  if (project) return project.name;
  const wanted = name.trim().toLowerCase();
  const used = store.todo.find((todo) => todo.project?.toLowerCase() === wanted);
  if (used?.project) return used.project;
  throw new TodoError(TodoErrorCode.NotFound, `no project "${name}" (see: kalphite-todo project list)`);
}
