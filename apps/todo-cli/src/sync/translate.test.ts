import { describe, expect, it } from "vitest";
import type { BaseEntity, ChangeRecord } from "kalphite";
import type { Project, Todo } from "../schema";
import { todoOperations } from "./translate";

const base: Todo = { id: "t1", type: "todo", title: "Buy milk", completed: false, priority: "medium", due: null, project: null, tags: [], createdAt: 100, updatedAt: 100, completedAt: null, notes: [], every: null };
const up = (entity: Todo | Project): ChangeRecord<BaseEntity> => ({ operation: "upsert", entityType: entity.type, entityId: entity.id, entity, origin: "local" });
const del = (type: string, id: string): ChangeRecord<BaseEntity> => ({ operation: "delete", entityType: type, entityId: id, origin: "local" });
const before = (...entities: (Todo | Project)[]) => ({ previous: (type: string, id: string) => entities.find((e) => e.type === type && e.id === id) });

describe("todoOperations: a command's batch → the shared mutators", () => {
  it("add (with a new project) → addTodo with the project's id", () => {
    const project: Project = { id: "p1", type: "project", name: "Home", createdAt: 100, updatedAt: 100 };
    const todo = { ...base, project: "Home", tags: ["errand"], notes: [{ text: "oat", at: 100 }] };
    expect(todoOperations([up(project), up(todo)], before())).toEqual([
      { name: "addTodo", args: [{ id: "t1", title: "Buy milk", now: 100, priority: "medium", due: null, project: "Home", projectId: "p1", tags: ["errand"], note: "oat", every: null }] },
    ]);
  });

  it("done on a recurring todo → completeTodo with the next occurrence's id (no separate addTodo)", () => {
    const recurring = { ...base, every: "week", due: "2026-01-15" };
    const done = { ...recurring, completed: true, completedAt: 200, updatedAt: 200 };
    const next = { ...recurring, id: "t2", due: "2026-01-22", createdAt: 200, updatedAt: 200 };
    expect(todoOperations([up(done), up(next)], before(recurring))).toEqual([{ name: "completeTodo", args: [{ id: "t1", now: 200, nextId: "t2" }] }]);
  });

  it("reopen → uncompleteTodo; edit → editTodo with only what changed; note → addNote", () => {
    const done = { ...base, completed: true, completedAt: 150 };
    expect(todoOperations([up({ ...base, updatedAt: 300 })], before(done))).toEqual([{ name: "uncompleteTodo", args: [{ id: "t1", now: 300 }] }]);
    const tagged = { ...base, tags: ["a", "b"] };
    const edited = { ...tagged, title: "Buy oat milk", priority: "high" as const, due: "2026-02-01", tags: ["b", "c"], updatedAt: 400 };
    expect(todoOperations([up(edited)], before(tagged))).toEqual([
      { name: "editTodo", args: [{ id: "t1", now: 400, title: "Buy oat milk", priority: "high", due: "2026-02-01", addTags: ["c"], removeTags: ["a"] }] },
    ]);
    const noted = { ...base, notes: [{ text: "first", at: 500 }], updatedAt: 500 };
    expect(todoOperations([up(noted)], before(base))).toEqual([{ name: "addNote", args: [{ id: "t1", now: 500, text: "first" }] }]);
  });

  it("rm / clear-done → one deleteTodo; project rm → deleteProject (its todos' cleared project is part of it)", () => {
    const other = { ...base, id: "t2" };
    expect(todoOperations([del("todo", "t1"), del("todo", "t2")], before(base, other))).toEqual([{ name: "deleteTodo", args: [{ ids: ["t1", "t2"] }] }]);
    const project: Project = { id: "p1", type: "project", name: "Home", createdAt: 1, updatedAt: 1 };
    const inHome = { ...base, project: "Home" };
    const ops = todoOperations([del("project", "p1"), up({ ...inHome, project: null, updatedAt: 600 })], before(project, inHome))!;
    expect(ops.map((o) => o.name)).toEqual(["deleteProject"]);
    expect(ops[0]!.args[0]).toMatchObject({ name: "Home" });
  });

  it("project add alone → addProject", () => {
    const project: Project = { id: "p1", type: "project", name: "Work", createdAt: 700, updatedAt: 700 };
    expect(todoOperations([up(project)], before())).toEqual([{ name: "addProject", args: [{ id: "p1", name: "Work", now: 700 }] }]);
  });

  it("falls back to the built-in operations for what no mutator expresses exactly", () => {
    // An import of a done todo, a rewrite of notes, a renamed project, a change of timestamps only.
    expect(todoOperations([up({ ...base, completed: true, completedAt: 1 })], before())).toBeUndefined();
    const noted = { ...base, notes: [{ text: "a", at: 1 }] };
    expect(todoOperations([up({ ...noted, notes: [{ text: "b", at: 1 }] })], before(noted))).toBeUndefined();
    const project: Project = { id: "p1", type: "project", name: "Home", createdAt: 1, updatedAt: 1 };
    expect(todoOperations([up({ ...project, name: "House" })], before(project))).toBeUndefined();
    expect(todoOperations([up({ ...base, createdAt: 5 })], before(base))).toBeUndefined();
    // Args todo-model refuses (a title over its limit): sent as they are, so the server's schema decides.
    expect(todoOperations([up({ ...base, title: "x".repeat(600) })], before())).toBeUndefined();
  });
});
