import { describe, expect, it } from "vitest";
import { KalphiteError, KalphiteStore, TypedCollection } from "./index";
import { AppSchema, todo } from "./test-fixtures";

const make = () => KalphiteStore(AppSchema);

describe("store.<type> collections", () => {
  it("returns the same live object on every access", () => {
    const store = make();
    const todos = store.todo;
    expect(store.todo).toBe(todos);
    store.todo.upsert("a", todo("a"));
    expect(todos.length).toBe(1);
    expect(store.getByType("todo")).toBe(todos);
  });

  it("is a real Array whose read methods return plain arrays", () => {
    const store = make();
    store.todo.upsertMany([todo("a", { priority: 2 }), todo("b", { priority: 1 }), todo("c", { priority: 3 })]);
    const todos = store.todo;
    expect(Array.isArray(todos)).toBe(true);
    expect(todos).toBeInstanceOf(TypedCollection);
    expect(todos).toBeInstanceOf(Array);
    const mapped = todos.map((t) => t.id);
    expect(mapped).toEqual(["a", "b", "c"]);
    for (const derived of [mapped, todos.filter(() => true), todos.slice(0, 2), [...todos], todos.concat([])]) {
      expect(Array.isArray(derived)).toBe(true);
      expect(derived).not.toBeInstanceOf(TypedCollection);
      expect(Object.getPrototypeOf(derived)).toBe(Array.prototype);
    }
    expect(todos.find((t) => t.priority === 3)?.id).toBe("c");
    expect(todos[1]?.id).toBe("b");
    expect(todos.at(-1)?.id).toBe("c");
    const seen: string[] = [];
    for (const t of todos) seen.push(t.id);
    expect(seen).toEqual(["a", "b", "c"]);
    expect(todos.reduce((sum, t) => sum + t.priority, 0)).toBe(6);
    expect(todos.some((t) => t.id === "b") && todos.every((t) => t.type === "todo")).toBe(true);
    expect(todos.indexOf(todos[2]!)).toBe(2);
    expect(JSON.parse(JSON.stringify(todos)).map((t: { id: string }) => t.id)).toEqual(["a", "b", "c"]);
    expect(todos.toSorted((x, y) => x.priority - y.priority).map((t) => t.id)).toEqual(["b", "a", "c"]);
    expect(Object.keys(todos)).toEqual(["0", "1", "2"]);
  });

  it("keeps insertion order; an upsert replaces in place, a delete closes the gap", () => {
    const store = make();
    const todos = store.todo;
    todos.upsert("a", todo("a"));
    todos.upsert("b", todo("b"));
    todos.upsert("c", todo("c"));
    todos.upsert("b", todo("b", { title: "B2" }));
    expect(todos.map((t) => `${t.id}:${t.title}`)).toEqual(["a:todo a", "b:B2", "c:todo c"]);
    expect(todos.delete("a")).toBe(true);
    expect(todos.delete("a")).toBe(false);
    expect(todos.map((t) => t.id)).toEqual(["b", "c"]);
    expect(todos.findById("c")).toBe(todos[1]);
    todos.upsert("c", todo("c", { title: "C2" }));
    expect(todos[1]?.title).toBe("C2");
    todos.upsert("a", todo("a"));
    expect(todos.map((t) => t.id)).toEqual(["b", "c", "a"]);
  });

  it("upsert returns the stored entity (the schema's output, defaults applied)", () => {
    const store = make();
    const stored = store.todo.upsert("a", { id: "a", type: "todo", title: "x", completed: false, updatedAt: 5 } as never);
    expect(stored).toEqual({ id: "a", type: "todo", title: "x", completed: false, priority: 0, tags: [], updatedAt: 5 });
    expect(store.todo.findById("a")).toBe(stored);
    expect(store.getById("todo", "a")).toBe(stored);
  });

  it("fills in a missing id and type from the call", () => {
    const store = make();
    const stored = store.todo.upsert("a", { title: "no id", completed: false, priority: 1, tags: [], updatedAt: 1 });
    expect(stored.id).toBe("a");
    expect(stored.type).toBe("todo");
  });

  it("findById, where, orderBy, groupBy", () => {
    const store = make();
    store.todo.upsertMany([
      todo("a", { priority: 2, completed: true }),
      todo("b", { priority: 1 }),
      todo("c", { priority: 2 }),
      todo("d", { priority: 0, completed: true }),
    ]);
    const todos = store.todo;
    expect(todos.findById("c")?.priority).toBe(2);
    expect(todos.findById("zzz")).toBeUndefined();
    expect(todos.where((t) => t.completed).map((t) => t.id)).toEqual(["a", "d"]);
    expect(todos.orderBy("priority").map((t) => t.id)).toEqual(["d", "b", "a", "c"]);
    expect(todos.orderBy("priority", "desc").map((t) => t.id)).toEqual(["a", "c", "b", "d"]);
    expect(todos.orderBy((t) => t.id, "desc").map((t) => t.id)).toEqual(["d", "c", "b", "a"]);
    const groups = todos.groupBy((t) => t.completed);
    expect(groups).toBeInstanceOf(Map);
    expect(groups.get(true)?.map((t) => t.id)).toEqual(["a", "d"]);
    expect(groups.get(false)?.map((t) => t.id)).toEqual(["b", "c"]);
    expect(Array.isArray(todos.orderBy("priority"))).toBe(true);
  });

  it("orderBy puts missing keys last and compares strings, numbers and dates", () => {
    const store = KalphiteStore();
    const things = store.getByType("thing");
    // Entities hold JSON data; a key selector may still return Dates.
    things.upsert("1", { id: "1", type: "thing", at: "2020-02-01" });
    things.upsert("2", { id: "2", type: "thing" });
    things.upsert("3", { id: "3", type: "thing", at: "2019-02-01" });
    const at = (t: { readonly [field: string]: unknown }) => (typeof t.at === "string" ? new Date(t.at) : undefined);
    expect(things.orderBy("at").map((t) => t.id)).toEqual(["3", "1", "2"]);
    expect(things.orderBy(at).map((t) => t.id)).toEqual(["3", "1", "2"]);
    expect(things.orderBy(at, "desc").map((t) => t.id)).toEqual(["2", "1", "3"]);
  });

  it("update(id, recipe) applies an immer recipe and validates the result", () => {
    const store = make();
    store.todo.upsert("a", todo("a", { tags: ["x"] }));
    const before = store.todo.findById("a");
    const after = store.todo.update("a", (draft) => {
      draft.tags.push("y");
      draft.completed = true;
    });
    expect(after.tags).toEqual(["x", "y"]);
    expect(after.completed).toBe(true);
    expect(before?.tags).toEqual(["x"]);
    expect(store.todo.findById("a")).toBe(after);
    expect(() => store.todo.update("a", (draft) => void (draft.title = ""))).toThrow(/title/);
    expect(store.todo.findById("a")).toBe(after);
  });

  it("update of an unknown id throws NOT_FOUND; a no-op recipe stores nothing", () => {
    const store = make();
    expect(() => store.todo.update("nope", () => undefined)).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
    store.todo.upsert("a", todo("a"));
    const calls: unknown[] = [];
    store.subscribe((c) => calls.push(c));
    const same = store.todo.update("a", () => undefined);
    expect(same).toBe(store.todo.findById("a"));
    expect(calls).toEqual([]);
  });

  it("upsertMany and deleteMany apply as one batch", () => {
    const store = make();
    const calls: number[] = [];
    store.subscribe((changes) => calls.push(changes.length));
    store.todo.upsertMany([todo("a"), todo("b"), todo("c"), todo("d")]);
    expect(store.todo.deleteMany(["b", "d", "missing"])).toBe(2);
    expect(store.todo.map((t) => t.id)).toEqual(["a", "c"]);
    expect(calls).toEqual([4, 2]);
    expect(store.todo.deleteMany([])).toBe(0);
  });

  it("separates types: the same id in two types is two entities", () => {
    const store = make();
    store.todo.upsert("x", todo("x"));
    store.note.upsert("x", { id: "x", type: "note", body: "hello", updatedAt: 1 });
    expect(store.todo.length).toBe(1);
    expect(store.note.length).toBe(1);
    store.todo.delete("x");
    expect(store.note.findById("x")?.body).toBe("hello");
    expect(store.types()).toEqual(["note"]);
  });
});
