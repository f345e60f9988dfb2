import type { MutatorTransaction } from "@kalphite/sync-ops";
import type { z } from "zod";
import {
  AddNoteArgs,
  AddProjectArgs,
  AddTodoArgs,
  ClearDoneArgs,
  CompleteTodoArgs,
  DeleteProjectArgs,
  DeleteTodoArgs,
  EditTodoArgs,
  UncompleteTodoArgs,
  parseArgs,
} from "./args";
import { nextDue, utcDay } from "./dates";
import { TodoModelError, TodoModelErrorCode } from "./errors";
import type { Project, Todo } from "./schema";

/**
 * What a todo mutator reads and writes through: the four methods the
 * server's transaction (`@kalphite/sync-ops`) and the client's speculative one
 * (`@kalphite/coordinator`) both have.
 */
export type TodoTransaction = Pick<MutatorTransaction, "get" | "getByType" | "upsert" | "delete">;

async function findProject(tx: TodoTransaction, name: string): Promise<Project | undefined> {
  const wanted = name.toLowerCase();
  return (await tx.getByType<Project>("project")).find((p) => p.name.toLowerCase() === wanted);
}

/** The stored spelling of project `name`, creating the project (as `projectId`) when none has it. */
async function ensureProject(tx: TodoTransaction, name: string, projectId: string, now: number): Promise<string> {
  const existing = await findProject(tx, name);
  if (existing) return existing.name;
  const project: Project = { id: projectId, type: "project", name, createdAt: now, updatedAt: now };
  await tx.upsert("project", projectId, project);
  return name;
}

async function mustGetTodo(tx: TodoTransaction, mutator: string, id: string): Promise<Todo> {
  const todo = await tx.get<Todo>("todo", id);
  if (!todo) throw new TodoModelError(TodoModelErrorCode.NotFound, `${mutator}: no todo with id "${id}"`);
  return todo;
}

/**
 * Adds an open todo. `project` names a project (case-insensitively); a new
 * one is created under `projectId` when none has that name.
 * @throws TodoModelError `INVALID_INPUT`, `CONFLICT` when a todo with `id` exists
 */
export async function addTodo(tx: TodoTransaction, args: z.input<typeof AddTodoArgs>): Promise<void> {
  const a = parseArgs("addTodo", AddTodoArgs, args);
  if (await tx.get("todo", a.id)) throw new TodoModelError(TodoModelErrorCode.Conflict, `addTodo: a todo with id "${a.id}" already exists`);
  const project = a.project === null ? null : await ensureProject(tx, a.project, a.projectId ?? `${a.id}-project`, a.now);
  const todo: Todo = {
    id: a.id,
    type: "todo",
    title: a.title,
    completed: false,
    priority: a.priority,
    due: a.due,
    project,
    tags: a.tags,
    createdAt: a.now,
    updatedAt: a.now,
    completedAt: null,
    notes: a.note === undefined ? [] : [{ text: a.note, at: a.now }],
    every: a.every,
  };
  await tx.upsert("todo", a.id, todo);
}

/**
 * Marks a todo done (an already done one is left as it is). Completing a
 * recurring todo creates its next occurrence under `nextId`: a copy without
 * notes, open, due one step after its due day (or after `today`), past today.
 * @throws TodoModelError `NOT_FOUND`, `INVALID_INPUT`
 */
export async function completeTodo(tx: TodoTransaction, args: z.input<typeof CompleteTodoArgs>): Promise<void> {
  const a = parseArgs("completeTodo", CompleteTodoArgs, args);
  const todo = await mustGetTodo(tx, "completeTodo", a.id);
  if (todo.completed) return;
  await tx.upsert("todo", todo.id, { ...todo, completed: true, completedAt: a.now, updatedAt: a.now });
  if (todo.every) {
    const nextId = a.nextId ?? `${todo.id}-${a.now}`;
    if (await tx.get("todo", nextId)) throw new TodoModelError(TodoModelErrorCode.Conflict, `completeTodo: a todo with id "${nextId}" already exists`);
    const next: Todo = {
      ...todo,
      id: nextId,
      due: nextDue(todo.every, todo.due, a.today ?? utcDay(a.now)),
      notes: [],
      completed: false,
      completedAt: null,
      createdAt: a.now,
      updatedAt: a.now,
    };
    await tx.upsert("todo", nextId, next);
  }
}

/** Marks a done todo open again (an open one is left as it is). @throws TodoModelError `NOT_FOUND`, `INVALID_INPUT` */
export async function uncompleteTodo(tx: TodoTransaction, args: z.input<typeof UncompleteTodoArgs>): Promise<void> {
  const a = parseArgs("uncompleteTodo", UncompleteTodoArgs, args);
  const todo = await mustGetTodo(tx, "uncompleteTodo", a.id);
  if (!todo.completed) return;
  await tx.upsert("todo", todo.id, { ...todo, completed: false, completedAt: null, updatedAt: a.now });
}

/**
 * Changes the fields given: `title`, `priority`, `due` (`null` removes it),
 * `project` (a name, created under `projectId` when new; `null` takes the
 * todo out of its project), `addTags`/`removeTags`, `every` (`null` stops it).
 * @throws TodoModelError `NOT_FOUND`, `INVALID_INPUT` (also when nothing would change)
 */
export async function editTodo(tx: TodoTransaction, args: z.input<typeof EditTodoArgs>): Promise<void> {
  const a = parseArgs("editTodo", EditTodoArgs, args);
  const todo = await mustGetTodo(tx, "editTodo", a.id);
  const next: Todo = { ...todo, updatedAt: a.now };
  if (a.title !== undefined) next.title = a.title;
  if (a.priority !== undefined) next.priority = a.priority;
  if (a.due !== undefined) next.due = a.due;
  if (a.project !== undefined) next.project = a.project === null ? null : await ensureProject(tx, a.project, a.projectId ?? `${a.id}-project-${a.now}`, a.now);
  if (a.addTags !== undefined || a.removeTags !== undefined) {
    const remove = a.removeTags ?? [];
    next.tags = [...new Set([...todo.tags, ...(a.addTags ?? [])])].filter((tag) => !remove.includes(tag));
  }
  if (a.every !== undefined) next.every = a.every;
  await tx.upsert("todo", todo.id, next);
}

/** Appends a note to a todo. @throws TodoModelError `NOT_FOUND`, `INVALID_INPUT` */
export async function addNote(tx: TodoTransaction, args: z.input<typeof AddNoteArgs>): Promise<void> {
  const a = parseArgs("addNote", AddNoteArgs, args);
  const todo = await mustGetTodo(tx, "addNote", a.id);
  await tx.upsert("todo", todo.id, { ...todo, notes: [...(todo.notes ?? []), { text: a.text, at: a.now }], updatedAt: a.now });
}

/**
 * Deletes the todo `id`, or each of `ids`. A todo already gone is not an
 * error (another client deleted it first: the outcome is the same).
 * @throws TodoModelError `INVALID_INPUT`
 */
export async function deleteTodo(tx: TodoTransaction, args: z.input<typeof DeleteTodoArgs>): Promise<void> {
  const a = parseArgs("deleteTodo", DeleteTodoArgs, args);
  for (const id of "ids" in a ? a.ids : [a.id]) await tx.delete("todo", id);
}

/** Deletes every done todo (as this operation sees them: on the server, the authoritative ones). */
export async function clearDone(tx: TodoTransaction, args?: z.input<typeof ClearDoneArgs>): Promise<void> {
  parseArgs("clearDone", ClearDoneArgs, args);
  for (const todo of await tx.getByType<Todo>("todo")) if (todo.completed) await tx.delete("todo", todo.id);
}

/** Creates a project. @throws TodoModelError `CONFLICT` when a project has that name (case-insensitively), `INVALID_INPUT` */
export async function addProject(tx: TodoTransaction, args: z.input<typeof AddProjectArgs>): Promise<void> {
  const a = parseArgs("addProject", AddProjectArgs, args);
  const existing = await findProject(tx, a.name);
  if (existing) throw new TodoModelError(TodoModelErrorCode.Conflict, `addProject: project "${existing.name}" already exists`);
  const project: Project = { id: a.id, type: "project", name: a.name, createdAt: a.now, updatedAt: a.now };
  await tx.upsert("project", a.id, project);
}

/**
 * Deletes the project called `name` (case-insensitively); its todos stay,
 * without a project. A name only todos use (no project entity) unassigns them.
 * @throws TodoModelError `NOT_FOUND` when neither a project nor a todo uses the name, `INVALID_INPUT`
 */
export async function deleteProject(tx: TodoTransaction, args: z.input<typeof DeleteProjectArgs>): Promise<void> {
  const a = parseArgs("deleteProject", DeleteProjectArgs, args);
  const found = await findProject(tx, a.name);
  const wanted = (found?.name ?? a.name).toLowerCase();
  const todos = (await tx.getByType<Todo>("todo")).filter((todo) => todo.project?.toLowerCase() === wanted);
  if (!found && todos.length === 0) throw new TodoModelError(TodoModelErrorCode.NotFound, `deleteProject: no project "${a.name}"`);
  if (found) await tx.delete("project", found.id);
  for (const todo of todos) await tx.upsert("todo", todo.id, { ...todo, project: null, updatedAt: a.now });
}

/**
 * The todo app's shared mutators, by operation name: pass them to
 * `createOperationSyncServer({ mutators })` on the server and to the
 * optimistic client (`createOptimisticClient({ mutators })`) on the client.
 */
export const todoMutators = {
  addTodo,
  completeTodo,
  uncompleteTodo,
  editTodo,
  addNote,
  deleteTodo,
  clearDone,
  addProject,
  deleteProject,
} as const;

/** The names of `todoMutators`. */
export type TodoMutatorName = keyof typeof todoMutators;
