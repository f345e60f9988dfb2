/**
 * A command's store batch → the shared mutators of `@kalphite/todo-model`
 * (`addTodo`, `completeTodo`, `editTodo`, …), the operations the sync server
 * runs. The batch is already applied here (the speculative effect); the
 * server runs the same mutator and its result comes back with the next pull.
 * A batch this cannot express exactly (an import of done todos, a rewrite of
 * notes, …) returns `undefined` and travels as the built-in
 * `upserttodo` / `deletetodo` operations instead.
 */
import {
  AddNoteArgs,
  AddProjectArgs,
  AddTodoArgs,
  CompleteTodoArgs,
  DeleteProjectArgs,
  DeleteTodoArgs,
  EditTodoArgs,
  UncompleteTodoArgs,
} from "@kalphite/todo-model";
import type { BaseEntity, ChangeRecord, KalphiteBatchContext, KalphiteOperation } from "kalphite";
import type { Project, Todo } from "../schema";

type Checked = { safeParse(value: unknown): { success: boolean } };
const ARGS: Record<string, Checked> = {
  addTodo: AddTodoArgs,
  completeTodo: CompleteTodoArgs,
  uncompleteTodo: UncompleteTodoArgs,
  editTodo: EditTodoArgs,
  addNote: AddNoteArgs,
  deleteTodo: DeleteTodoArgs,
  addProject: AddProjectArgs,
  deleteProject: DeleteProjectArgs,
};

/** The entity types the todo app syncs (undo records stay on this machine). */
export const SYNCED_TYPES = ["todo", "project"] as const;

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** `toOperations` for `createKalphite({ sync })`: see the file comment. */
export function todoOperations(changes: readonly ChangeRecord<BaseEntity>[], context: KalphiteBatchContext): KalphiteOperation[] | undefined {
  const ops: KalphiteOperation[] = [];
  const projectOps: KalphiteOperation[] = [];
  const deletedProjectNames = new Set<string>();
  const newProjects = new Map<string, Project>(); // by lower-case name
  for (const c of changes) {
    if (c.entityType !== "project") continue;
    const before = context.previous("project", c.entityId) as Project | undefined;
    if (c.operation === "delete") {
      if (!before) continue;
      deletedProjectNames.add(before.name.toLowerCase());
      projectOps.push({ name: "deleteProject", args: [{ name: before.name, now: Date.now() }] });
    } else if (!before) newProjects.set((c.entity as Project).name.toLowerCase(), c.entity as Project);
    else return undefined; // a renamed project: no mutator for it
  }
  const claimed = new Set<string>();
  const projectIdFor = (name: string | null | undefined) => {
    if (!name) return undefined;
    const made = newProjects.get(name.toLowerCase());
    if (!made) return undefined;
    claimed.add(made.id);
    return made.id;
  };

  const todoChanges = changes.filter((c) => c.entityType === "todo");
  // A completed recurring todo's next occurrence is created by completeTodo (nextId), not by addTodo.
  const nextIds = new Map<string, string>();
  for (const c of todoChanges) {
    const before = context.previous("todo", c.entityId) as Todo | undefined;
    const after = c.entity as Todo | undefined;
    if (c.operation !== "upsert" || !before || !after || before.completed || !after.completed || !after.every) continue;
    const next = todoChanges.find((n) => {
      const e = n.entity as Todo | undefined;
      return n.operation === "upsert" && !context.previous("todo", n.entityId) && e !== undefined && !e.completed && e.title === after.title && e.every === after.every && !nextIds.has(n.entityId);
    });
    if (next) nextIds.set(next.entityId, c.entityId);
  }
  const nextOf = new Map([...nextIds].map(([next, of]) => [of, next]));

  const deleted: string[] = [];
  for (const c of todoChanges) {
    const before = context.previous("todo", c.entityId) as Todo | undefined;
    if (c.operation === "delete") {
      if (before) deleted.push(c.entityId);
      continue;
    }
    const t = c.entity as Todo;
    if (!before) {
      if (nextIds.has(t.id)) continue;
      const notes = t.notes ?? [];
      if (t.completed || notes.length > 1) return undefined;
      const projectId = projectIdFor(t.project);
      ops.push({
        name: "addTodo",
        args: [{ id: t.id, title: t.title, now: t.createdAt, priority: t.priority, due: t.due ?? null, project: t.project ?? null, ...(projectId ? { projectId } : {}), tags: t.tags, ...(notes[0] ? { note: notes[0].text } : {}), every: t.every ?? null }],
      });
      continue;
    }
    const now = t.updatedAt;
    const count = ops.length;
    if (!before.completed && t.completed) {
      const nextId = nextOf.get(t.id);
      ops.push({ name: "completeTodo", args: [{ id: t.id, now: t.completedAt ?? now, ...(nextId ? { nextId } : {}) }] });
    } else if (before.completed && !t.completed) ops.push({ name: "uncompleteTodo", args: [{ id: t.id, now }] });
    const edit: Record<string, unknown> = {};
    if (t.title !== before.title) edit["title"] = t.title;
    if (t.priority !== before.priority) edit["priority"] = t.priority;
    if ((t.due ?? null) !== (before.due ?? null)) edit["due"] = t.due ?? null;
    if ((t.every ?? null) !== (before.every ?? null)) edit["every"] = t.every ?? null;
    const projectNow = t.project ?? null;
    // Cleared because its project is deleted in this batch: deleteProject does that on the server.
    const clearedByDelete = projectNow === null && !!before.project && deletedProjectNames.has(before.project.toLowerCase());
    if (projectNow !== (before.project ?? null) && !clearedByDelete) {
      edit["project"] = projectNow;
      const projectId = projectIdFor(projectNow);
      if (projectId) edit["projectId"] = projectId;
    }
    if (!sameList(t.tags, before.tags)) {
      const addTags = t.tags.filter((tag) => !before.tags.includes(tag));
      const removeTags = before.tags.filter((tag) => !t.tags.includes(tag));
      // Only a reordering: not expressible, and nothing a reader would miss.
      if (addTags.length + removeTags.length === 0) return undefined;
      if (addTags.length > 0) edit["addTags"] = addTags;
      if (removeTags.length > 0) edit["removeTags"] = removeTags;
    }
    if (Object.keys(edit).length > 0) ops.push({ name: "editTodo", args: [{ id: t.id, now, ...edit }] });
    const notesBefore = before.notes ?? [];
    const notesAfter = t.notes ?? [];
    const appended = notesAfter.length >= notesBefore.length && notesBefore.every((n, i) => n.text === notesAfter[i]!.text && n.at === notesAfter[i]!.at);
    if (!appended) return undefined;
    for (const note of notesAfter.slice(notesBefore.length)) ops.push({ name: "addNote", args: [{ id: t.id, now: note.at, text: note.text }] });
    // A change none of the above expresses (an undo restoring timestamps, say): send the whole batch as it is.
    if (ops.length === count && !clearedByDelete) return undefined;
  }
  if (deleted.length > 0) ops.push({ name: "deleteTodo", args: [{ ids: deleted }] });
  for (const [, project] of newProjects) {
    if (!claimed.has(project.id)) projectOps.unshift({ name: "addProject", args: [{ id: project.id, name: project.name, now: project.createdAt }] });
  }
  // New projects first, then the todos, then deleted projects (their todos were cleared above).
  const all = [...projectOps.filter((o) => o.name === "addProject"), ...ops, ...projectOps.filter((o) => o.name === "deleteProject")];
  if (all.length === 0) return undefined;
  for (const op of all) if (!ARGS[op.name]!.safeParse(op.args[0]).success) return undefined;
  return all;
}
