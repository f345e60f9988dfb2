import type { Command } from "commander";
import { newId } from "./ids";
import type { TodoStore } from "./projects";
import type { Project, Todo, UndoRecord } from "./schema";

/** How many commands `undo` can walk back. @default 20 */
export const UNDO_DEPTH = 20;

/** The commands `undo` can revert (by their path: `project rm`). */
const UNDOABLE = new Set(["add", "done", "reopen", "edit", "rm", "clear-done", "note", "import", "project add", "project rm"]);

type Snapshot = { readonly store: TodoStore; readonly before: Map<string, Todo | Project> };

const snapshots = new WeakMap<Command, Snapshot>();

/** `project rm`, `add`: the command's path below the program. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

const key = (type: string, id: string) => `${type}\u0000${id}`;

function entities(store: TodoStore): Map<string, Todo | Project> {
  const all = new Map<string, Todo | Project>();
  for (const todo of store.todo) all.set(key("todo", todo.id), todo);
  for (const project of store.project) all.set(key("project", project.id), project);
  return all;
}

/**
 * Remembers the store as it is before `command` changes it (entities are
 * immutable, so this keeps references, not copies). Called when the command
 * first asks for the store; a no-op for commands `undo` does not revert.
 */
export function beginUndo(command: Command, store: TodoStore): void {
  if (snapshots.has(command) || !UNDOABLE.has(commandPath(command))) return;
  snapshots.set(command, { store, before: entities(store) });
}

/**
 * After `command` succeeded: records what it changed (each entity as it was
 * before, `null` when it is new) as the newest undo record, keeping the last
 * `UNDO_DEPTH`. Nothing is recorded when it changed nothing.
 */
export function finishUndo(command: Command, now: number): void {
  const snapshot = snapshots.get(command);
  snapshots.delete(command);
  if (!snapshot) return;
  const { store, before } = snapshot;
  const after = entities(store);
  const changes: UndoRecord["changes"] = [];
  for (const [k, entity] of after) {
    const previous = before.get(k);
    if (previous !== entity) changes.push({ type: entity.type, id: entity.id, before: previous ?? null });
  }
  for (const [k, entity] of before) if (!after.has(k)) changes.push({ type: entity.type, id: entity.id, before: entity });
  if (changes.length === 0) return;
  const args = command.args.map((arg) => (/^[\w./:@+-]+$/.test(arg) ? arg : JSON.stringify(arg)));
  const id = newId();
  const seq = (undoRecords(store).at(-1)?.seq ?? 0) + 1;
  store.batch(() => {
    store.undo.upsert(id, { id, type: "undo", command: [commandPath(command), ...args].join(" "), at: now, seq, changes });
    const records = undoRecords(store);
    for (const old of records.slice(0, Math.max(0, records.length - UNDO_DEPTH))) store.undo.delete(old.id);
  });
}

/** Undo records, oldest first. */
export function undoRecords(store: TodoStore): UndoRecord[] {
  return [...store.undo].sort((a, b) => a.seq - b.seq || a.id.localeCompare(b.id));
}

/** What `undo` did. */
export interface UndoResult {
  readonly command: string;
  readonly restored: number;
  readonly removed: number;
}

/**
 * Reverts the newest undo record in one batch: entities it changed get their
 * earlier version back, those it created are deleted. `undefined` when there
 * is nothing to undo.
 */
export function undoLast(store: TodoStore): UndoResult | undefined {
  const last = undoRecords(store).at(-1);
  if (!last) return undefined;
  let restored = 0;
  let removed = 0;
  store.batch(() => {
    for (const change of [...last.changes].reverse()) {
      if (change.before === null) {
        const collection = change.type === "todo" ? store.todo : store.project;
        if (collection.delete(change.id)) removed++;
      } else if (change.before.type === "todo") {
        store.todo.upsert(change.id, change.before);
        restored++;
      } else {
        store.project.upsert(change.id, change.before);
        restored++;
      }
    }
    store.undo.delete(last.id);
  });
  return { command: last.command, restored, removed };
}
