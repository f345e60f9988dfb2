import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TodoModelError } from "./errors";
import {
  addNote,
  addProject,
  addTodo,
  clearDone,
  completeTodo,
  deleteProject,
  deleteTodo,
  editTodo,
  todoMutators,
  uncompleteTodo,
} from "./mutators";
import { ProjectSchema, TodoSchema, type Project, type Todo } from "./schema";
import { memoryTx } from "./test-tx";

const T0 = Date.UTC(2026, 0, 15, 9);
const todoOf = (tx: ReturnType<typeof memoryTx>, id: string) => tx.entities.get(`todo/${id}`) as Todo | undefined;

describe("todo mutators", () => {
  it("addTodo writes a todo the schema accepts, with defaults, and creates its project once", async () => {
    const tx = memoryTx();
    await addTodo(tx, { id: "a1", title: "  Buy\n milk ", now: T0, project: "Home", projectId: "p1", tags: ["#Errand", "errand"], note: "2 litres" });
    await addTodo(tx, { id: "a2", title: "Sweep", now: T0 + 1, project: "home", projectId: "p2" });
    const a1 = todoOf(tx, "a1")!;
    expect(TodoSchema.parse(a1)).toEqual(a1);
    expect(a1).toMatchObject({ title: "Buy milk", completed: false, priority: "medium", due: null, project: "Home", tags: ["errand"], every: null, notes: [{ text: "2 litres", at: T0 }] });
    expect(todoOf(tx, "a2")!.project).toBe("Home");
    expect(tx.all("project")).toEqual([{ id: "p1", type: "project", name: "Home", createdAt: T0, updatedAt: T0 }]);
    expect(ProjectSchema.parse(tx.all("project")[0])).toBeTruthy();
  });

  it("refuses bad arguments with INVALID_INPUT naming the path, and writes nothing", async () => {
    const tx = memoryTx();
    const cases: [string, unknown][] = [
      ["title", { id: "x", title: "   ", now: T0 }],
      ["title", { id: "x", title: "a".repeat(501), now: T0 }],
      ["due", { id: "x", title: "t", now: T0, due: "2026-02-30" }],
      ["every", { id: "x", title: "t", now: T0, every: "fortnight" }],
      ["priority", { id: "x", title: "t", now: T0, priority: "urgent" }],
      ["now", { id: "x", title: "t" }],
      ["tags", { id: "x", title: "t", now: T0, tags: ["two words"] }],
    ];
    for (const [path, args] of cases) {
      const error = await addTodo(tx, args as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TodoModelError);
      expect(error).toMatchObject({ code: "INVALID_INPUT" });
      expect((error as Error).message).toContain(path);
    }
    await expect(addTodo(tx, undefined as never)).rejects.toMatchObject({ code: "INVALID_INPUT" });
    expect(tx.entities.size).toBe(0);
  });

  it("addTodo refuses an id in use (CONFLICT)", async () => {
    const tx = memoryTx();
    await addTodo(tx, { id: "a1", title: "one", now: T0 });
    await expect(addTodo(tx, { id: "a1", title: "two", now: T0 })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(todoOf(tx, "a1")!.title).toBe("one");
  });

  it("completeTodo and uncompleteTodo set completed, completedAt and updatedAt; repeats are no-ops", async () => {
    const tx = memoryTx();
    await addTodo(tx, { id: "a1", title: "one", now: T0 });
    await completeTodo(tx, { id: "a1", now: T0 + 10 });
    expect(todoOf(tx, "a1")).toMatchObject({ completed: true, completedAt: T0 + 10, updatedAt: T0 + 10 });
    await completeTodo(tx, { id: "a1", now: T0 + 20 });
    expect(todoOf(tx, "a1")!.completedAt).toBe(T0 + 10);
    await uncompleteTodo(tx, { id: "a1", now: T0 + 30 });
    expect(todoOf(tx, "a1")).toMatchObject({ completed: false, completedAt: null, updatedAt: T0 + 30 });
    await expect(completeTodo(tx, { id: "nope", now: T0 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(tx.all("todo")).toHaveLength(1);
  });

  it("completing a recurring todo creates the next occurrence after today, without notes", async () => {
    const tx = memoryTx();
    await addTodo(tx, { id: "w1", title: "Water plants", now: T0, due: "2026-01-09", every: "week", note: "the fern too", tags: ["home"] });
    await completeTodo(tx, { id: "w1", now: T0 + 5, today: "2026-01-15", nextId: "w2" });
    const next = todoOf(tx, "w2")!;
    expect(next).toMatchObject({ title: "Water plants", due: "2026-01-16", every: "week", completed: false, completedAt: null, notes: [], tags: ["home"], createdAt: T0 + 5 });
    expect(TodoSchema.parse(next)).toEqual(next);
    // Without nextId the id is derived from the args: the same on every replica.
    await completeTodo(tx, { id: "w2", now: T0 + 6 });
    expect(todoOf(tx, `w2-${T0 + 6}`)).toMatchObject({ due: "2026-01-23" });
  });

  it("editTodo changes only what is given; null clears due, project and every", async () => {
    const tx = memoryTx();
    await addTodo(tx, { id: "a1", title: "one", now: T0, due: "2026-02-01", project: "Work", projectId: "pw", tags: ["a", "b"], every: "day" });
    await editTodo(tx, { id: "a1", now: T0 + 1, title: "uno", priority: "high", addTags: ["c"], removeTags: ["a"] });
    expect(todoOf(tx, "a1")).toMatchObject({ title: "uno", priority: "high", tags: ["b", "c"], due: "2026-02-01", project: "Work", every: "day", updatedAt: T0 + 1 });
    await editTodo(tx, { id: "a1", now: T0 + 2, due: null, project: null, every: null });
    expect(todoOf(tx, "a1")).toMatchObject({ due: null, project: null, every: null });
    await editTodo(tx, { id: "a1", now: T0 + 3, project: "Garden", projectId: "pg" });
    expect(tx.entities.get("project/pg")).toMatchObject({ name: "Garden" });
    await expect(editTodo(tx, { id: "a1", now: T0 + 4 })).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringContaining("nothing to change") });
    await expect(editTodo(tx, { id: "zz", now: T0, title: "x" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("addNote appends; deleteTodo deletes one or several; clearDone deletes the done ones", async () => {
    const tx = memoryTx();
    for (const id of ["a", "b", "c", "d"]) await addTodo(tx, { id, title: id, now: T0 });
    await addNote(tx, { id: "a", now: T0 + 1, text: "first" });
    await addNote(tx, { id: "a", now: T0 + 2, text: "second" });
    expect(todoOf(tx, "a")!.notes!.map((n) => n.text)).toEqual(["first", "second"]);
    await expect(addNote(tx, { id: "a", now: T0, text: " " })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await deleteTodo(tx, { id: "a" });
    await deleteTodo(tx, { ids: ["b", "missing"] });
    expect(tx.all("todo").map((t) => t.id)).toEqual(["c", "d"]);
    await completeTodo(tx, { id: "c", now: T0 });
    await clearDone(tx);
    expect(tx.all("todo").map((t) => t.id)).toEqual(["d"]);
  });

  it("addProject refuses a name in use; deleteProject unassigns its todos", async () => {
    const tx = memoryTx();
    await addProject(tx, { id: "p1", name: "Home", now: T0 });
    await expect(addProject(tx, { id: "p2", name: "home", now: T0 })).rejects.toMatchObject({ code: "CONFLICT" });
    await addTodo(tx, { id: "a", title: "a", now: T0, project: "HOME" });
    expect(todoOf(tx, "a")!.project).toBe("Home");
    await deleteProject(tx, { name: "home", now: T0 + 9 });
    expect(tx.all("project")).toEqual([]);
    expect(todoOf(tx, "a")).toMatchObject({ project: null, updatedAt: T0 + 9 });
    await expect(deleteProject(tx, { name: "Home", now: T0 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((tx.entities.get("todo/a") as Todo).project).toBeNull();
    expect(tx.all("project") as Project[]).toEqual([]);
  });

  it("is deterministic: the same operations on two replicas give the same entities (property)", async () => {
    const op = fc.oneof(
      fc.record({ name: fc.constant("addTodo" as const), id: fc.constantFrom("a", "b", "c"), title: fc.string({ unit: "binary", minLength: 1, maxLength: 20 }), project: fc.option(fc.constantFrom("Home", "home", "Work")) }),
      fc.record({ name: fc.constantFrom("completeTodo" as const, "uncompleteTodo" as const, "deleteTodo" as const), id: fc.constantFrom("a", "b", "c") }),
      fc.record({ name: fc.constant("editTodo" as const), id: fc.constantFrom("a", "b", "c"), every: fc.option(fc.constantFrom("day", "month", "3d")) }),
      fc.record({ name: fc.constant("clearDone" as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 15 }), async (ops) => {
        const replicas = [memoryTx(), memoryTx()];
        for (const tx of replicas) {
          let now = T0;
          for (const o of ops) {
            now += 1000;
            const args =
              o.name === "addTodo"
                ? { id: o.id, title: o.title, now, project: o.project }
                : o.name === "editTodo"
                  ? { id: o.id, now, every: o.every }
                  : o.name === "clearDone"
                    ? {}
                    : { id: o.id, now };
            try {
              await (todoMutators[o.name] as (tx: unknown, a: unknown) => Promise<void>)(tx, args);
            } catch (error) {
              if (!(error instanceof TodoModelError)) throw error;
            }
          }
          for (const e of tx.all("todo")) TodoSchema.parse(e);
        }
        expect([...replicas[0]!.entities].sort()).toEqual([...replicas[1]!.entities].sort());
      }),
      { numRuns: 60 },
    );
  });
});
