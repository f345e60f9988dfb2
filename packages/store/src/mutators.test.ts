import { describe, expect, it } from "vitest";
import { KalphiteError, KalphiteStore } from "./index";
import type { ChangeRecord } from "./index";
import { AppSchema, todo } from "./test-fixtures";

function setup() {
  const flushed: string[] = [];
  const sink = {
    scheduleFlush: (id: string) => void flushed.push(`upsert:${id}`),
    scheduleDelete: (id: string) => void flushed.push(`delete:${id}`),
  };
  const store = KalphiteStore(AppSchema, { sink });
  const changes: ChangeRecord[] = [];
  store.subscribe((batch) => changes.push(...batch));
  store.todo.upsertMany([todo("a"), todo("b"), todo("c")]);
  flushed.length = 0;
  changes.length = 0;
  return { store, todos: store.todo, flushed, changes };
}

const ids = (list: readonly { id: string }[]) => list.map((e) => e.id);

describe("array mutators go through the store or throw", () => {
  it("push upserts (validated, notified, persisted)", () => {
    const { todos, flushed, changes } = setup();
    expect(todos.push(todo("d"), todo("e"))).toBe(5);
    expect(ids(todos)).toEqual(["a", "b", "c", "d", "e"]);
    expect(flushed).toEqual(["upsert:d", "upsert:e"]);
    expect(changes.map((c) => `${c.operation}:${c.entityId}:${c.origin}`)).toEqual(["upsert:d:local", "upsert:e:local"]);
    expect(() => todos.push({ ...todo("f"), title: "" })).toThrow(KalphiteError);
    expect(todos.length).toBe(5);
  });

  it("pop and shift delete and return the entity", () => {
    const { todos, flushed } = setup();
    expect(todos.pop()?.id).toBe("c");
    expect(todos.shift()?.id).toBe("a");
    expect(ids(todos)).toEqual(["b"]);
    expect(flushed).toEqual(["delete:c", "delete:a"]);
    todos.pop();
    expect(todos.pop()).toBeUndefined();
    expect(todos.shift()).toBeUndefined();
  });

  it("splice deletes a range and returns it; inserting throws", () => {
    const { todos, flushed } = setup();
    expect(ids(todos.splice(-2, 1))).toEqual(["b"]);
    expect(ids(todos)).toEqual(["a", "c"]);
    expect(flushed).toEqual(["delete:b"]);
    expect(() => todos.splice(0, 0, todo("z"))).toThrow(/splice.*upsert/s);
    expect(ids(todos)).toEqual(["a", "c"]);
    expect(ids(todos.splice(0))).toEqual(["a", "c"]);
    expect(todos.length).toBe(0);
  });

  it.each([
    ["unshift", (t: any) => t.unshift(todo("z"))],
    ["sort", (t: any) => t.sort()],
    ["reverse", (t: any) => t.reverse()],
    ["fill", (t: any) => t.fill(todo("z"))],
    ["copyWithin", (t: any) => t.copyWithin(0, 1)],
    ["index assignment", (t: any) => (t[0] = todo("z"))],
    ["appending by index", (t: any) => (t[3] = todo("z"))],
    ["length assignment", (t: any) => (t.length = 0)],
    ["delete t[0]", (t: any) => delete t[0]],
    ["defineProperty", (t: any) => Object.defineProperty(t, 0, { value: todo("z") })],
    ["Object.freeze", (t: any) => Object.freeze(t)],
    ["a custom field", (t: any) => (t.extra = 1)],
  ])("%s throws a KalphiteError and changes nothing", (_name, mutate) => {
    const { todos, flushed, changes } = setup();
    let thrown: unknown;
    try {
      mutate(todos);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(KalphiteError);
    expect((thrown as KalphiteError).code).toBe("UNSUPPORTED_MUTATION");
    expect((thrown as Error).message).toMatch(/upsert|orderBy|delete|read-only|live|insertion order/);
    expect(ids(todos)).toEqual(["a", "b", "c"]);
    expect(flushed).toEqual([]);
    expect(changes).toEqual([]);
  });

  it("Array.prototype methods called generically are refused too", () => {
    const { todos } = setup();
    expect(() => Array.prototype.push.call(todos, todo("z"))).toThrow(KalphiteError);
    expect(() => Array.prototype.sort.call(todos)).toThrow(KalphiteError);
    expect(ids(todos)).toEqual(["a", "b", "c"]);
  });

  it("sorted and reversed copies are the way to reorder", () => {
    const { todos } = setup();
    expect(ids([...todos].reverse())).toEqual(["c", "b", "a"]);
    expect(ids(todos.toReversed())).toEqual(["c", "b", "a"]);
    expect(ids(todos)).toEqual(["a", "b", "c"]);
  });
});

describe("frozen entities", () => {
  it("in-place mutation of a stored entity throws by default, deeply", () => {
    const store = KalphiteStore(AppSchema);
    store.todo.upsert("a", todo("a", { tags: ["x"] }));
    const stored = store.todo[0]!;
    expect(() => {
      (stored as { title: string }).title = "changed";
    }).toThrow(TypeError);
    expect(() => (stored.tags as string[]).push("y")).toThrow(TypeError);
    expect(store.todo[0]!.title).toBe("todo a");
  });

  it("{ freeze: false } leaves entities mutable", () => {
    const store = KalphiteStore(AppSchema, { freeze: false });
    store.todo.upsert("a", todo("a"));
    (store.todo[0] as { title: string }).title = "changed";
    expect(store.todo[0]!.title).toBe("changed");
    const updated = store.todo.update("a", (d) => void (d.completed = true));
    expect(Object.isFrozen(updated)).toBe(false);
  });

  it("freezes schemaless entities too", () => {
    const store = KalphiteStore();
    const input = { id: "1", type: "thing", nested: { n: 1 } };
    store.getByType("thing").upsert("1", input);
    expect(Object.isFrozen(store.getById("thing", "1"))).toBe(true);
    expect(Object.isFrozen(input.nested)).toBe(true);
  });
});
