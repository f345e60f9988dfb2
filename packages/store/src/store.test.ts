import { describe, expect, it, vi } from "vitest";
import { KalphiteError, KalphiteStore, createKalphiteStore } from "./index";
import type { ChangeRecord, ChangeSink } from "./index";
import { AppSchema, todo } from "./test-fixtures";

function recordingSink() {
  const calls: string[] = [];
  const sink: ChangeSink = {
    scheduleFlush: (id, entity) => void calls.push(`flush:${entity.type}:${id}`),
    scheduleDelete: (id, type) => void calls.push(`delete:${type}:${id}`),
  };
  return { sink, calls };
}

const summary = (changes: readonly ChangeRecord[]) => changes.map((c) => `${c.operation}:${c.entityType}:${c.entityId}:${c.origin}`);

describe("subscriptions", () => {
  it("store.subscribe receives change records; unsubscribe stops them", () => {
    const store = KalphiteStore(AppSchema);
    const batches: ChangeRecord[][] = [];
    const off = store.subscribe((changes) => batches.push([...changes]));
    const stored = store.todo.upsert("a", todo("a"));
    store.todo.delete("a");
    expect(batches).toEqual([
      [{ operation: "upsert", entityType: "todo", entityId: "a", entity: stored, origin: "local" }],
      [{ operation: "delete", entityType: "todo", entityId: "a", entity: stored, origin: "local" }],
    ]);
    off();
    store.todo.upsert("b", todo("b"));
    expect(batches).toHaveLength(2);
  });

  it("per-type subscribe hears only its type", () => {
    const store = KalphiteStore(AppSchema);
    const todoChanges: string[] = [];
    const off = store.todo.subscribe((changes) => todoChanges.push(...summary(changes)));
    store.batch(() => {
      store.todo.upsert("a", todo("a"));
      store.note.upsert("n", { id: "n", type: "note", body: "", updatedAt: 1 });
    });
    expect(todoChanges).toEqual(["upsert:todo:a:local"]);
    off();
    store.todo.upsert("b", todo("b"));
    expect(todoChanges).toHaveLength(1);
  });

  it("batch(fn) notifies once for everything inside and returns fn's result", () => {
    const store = KalphiteStore(AppSchema);
    const batches: string[][] = [];
    store.subscribe((changes) => batches.push(summary(changes)));
    const typeBatches: number[] = [];
    store.todo.subscribe((changes) => typeBatches.push(changes.length));
    const result = store.batch(() => {
      store.todo.upsert("a", todo("a"));
      store.todo.upsert("b", todo("b"));
      store.batch(() => store.todo.delete("a"));
      expect(batches).toEqual([]);
      expect(store.todo.length).toBe(1);
      return 42;
    });
    expect(result).toBe(42);
    expect(batches).toEqual([["upsert:todo:a:local", "upsert:todo:b:local", "delete:todo:a:local"]]);
    expect(typeBatches).toEqual([3]);
  });

  it("a batch that throws still notifies what it applied, then rethrows", () => {
    const store = KalphiteStore(AppSchema);
    const batches: string[][] = [];
    store.subscribe((changes) => batches.push(summary(changes)));
    expect(() =>
      store.batch(() => {
        store.todo.upsert("a", todo("a"));
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(batches).toEqual([["upsert:todo:a:local"]]);
  });

  it("a throwing listener is reported and does not stop others or corrupt the store", () => {
    const onListenerError = vi.fn();
    const store = KalphiteStore(AppSchema, { onListenerError });
    const heard: string[] = [];
    store.subscribe(() => {
      throw new Error("listener 1");
    });
    store.subscribe((changes) => heard.push(...summary(changes)));
    store.todo.subscribe(() => {
      throw new Error("type listener");
    });
    store.todo.upsert("a", todo("a"));
    expect(heard).toEqual(["upsert:todo:a:local"]);
    expect(onListenerError).toHaveBeenCalledTimes(2);
    expect(onListenerError.mock.calls.map(([e]) => (e as Error).message).sort()).toEqual(["listener 1", "type listener"]);
    expect(store.todo.length).toBe(1);
    store.todo.upsert("b", todo("b"));
    expect(heard).toHaveLength(2);
  });

  it("reports throwing listeners with console.error by default", () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const store = KalphiteStore(AppSchema);
    store.subscribe(() => {
      throw new Error("bad");
    });
    store.todo.upsert("a", todo("a"));
    expect(spy).toHaveBeenCalledOnce();
    spy.mockRestore();
  });

  it("writes made by a listener are delivered afterwards, in order, to everyone", () => {
    const store = KalphiteStore(AppSchema);
    const first: string[] = [];
    const second: string[] = [];
    store.subscribe((changes) => {
      first.push(...summary(changes));
      if (changes.some((c) => c.entityId === "a")) store.todo.upsert("from-listener", todo("from-listener"));
    });
    store.subscribe((changes) => second.push(...summary(changes)));
    store.todo.upsert("a", todo("a"));
    expect(first).toEqual(["upsert:todo:a:local", "upsert:todo:from-listener:local"]);
    expect(second).toEqual(first);
  });

  it("listeners see the store already updated", () => {
    const store = KalphiteStore(AppSchema);
    let seen = -1;
    store.subscribe(() => (seen = store.todo.length));
    store.todo.upsert("a", todo("a"));
    expect(seen).toBe(1);
  });

  it("refuses a non-function listener", () => {
    const store = KalphiteStore(AppSchema);
    expect(() => store.subscribe(42 as never)).toThrow(KalphiteError);
    expect(() => store.todo.subscribe(undefined as never)).toThrow(KalphiteError);
  });
});

describe("origins and the persistence sink", () => {
  it("local writes of every kind reach the sink with (type, id)", () => {
    const { sink, calls } = recordingSink();
    const store = KalphiteStore(AppSchema, { sink });
    store.todo.upsert("a", todo("a"));
    store.todo.upsertMany([todo("b"), todo("c")]);
    store.todo.update("a", (d) => void (d.completed = true));
    store.todo.delete("b");
    store.todo.deleteMany(["a", "c"]);
    store.note.upsert("n", { id: "n", type: "note", body: "x", updatedAt: 1 });
    store.clear();
    expect(calls).toEqual([
      "flush:todo:a", "flush:todo:b", "flush:todo:c", "flush:todo:a", "delete:todo:b",
      "delete:todo:a", "delete:todo:c", "flush:note:n", "delete:note:n",
    ]);
    expect(store.note.length).toBe(0);
  });

  it("applyRemote applies as origin remote and still reaches the sink", () => {
    const { sink, calls } = recordingSink();
    const store = KalphiteStore(AppSchema, { sink });
    store.todo.upsert("gone", todo("gone"));
    calls.length = 0;
    const heard: string[] = [];
    store.subscribe((changes) => heard.push(...summary(changes)));
    store.applyRemote([
      { operation: "upsert", entityType: "todo", entityId: "r1", entity: todo("r1") },
      { operation: "delete", entityType: "todo", entityId: "gone" },
      { operation: "delete", entityType: "todo", entityId: "never-existed" },
    ]);
    expect(heard).toEqual(["upsert:todo:r1:remote", "delete:todo:gone:remote"]);
    expect(calls).toEqual(["flush:todo:r1", "delete:todo:gone"]);
    expect(store.todo.map((t) => t.id)).toEqual(["r1"]);
  });

  it("applyRemote validates everything first: one bad change applies nothing", () => {
    const store = KalphiteStore(AppSchema);
    expect(() =>
      store.applyRemote([
        { operation: "upsert", entityType: "todo", entityId: "ok", entity: todo("ok") },
        { operation: "upsert", entityType: "todo", entityId: "bad", entity: { ...todo("bad"), completed: "yes" } as never },
      ]),
    ).toThrow(/todo "bad".*completed/);
    expect(() => store.applyRemote([{ operation: "nope", entityType: "todo", entityId: "x" } as never])).toThrow(KalphiteError);
    expect(() => store.applyRemote([{ operation: "upsert", entityType: "todo", entityId: "x" }])).toThrow(/needs an entity/);
    expect(store.todo.length).toBe(0);
  });

  it("loadEntities is one notification with origin load, and never reaches the sink", () => {
    const { sink, calls } = recordingSink();
    const store = KalphiteStore(AppSchema, { sink });
    const batches: string[][] = [];
    store.subscribe((changes) => batches.push(summary(changes)));
    store.loadEntities([todo("a"), todo("b"), { id: "n", type: "note", body: "", updatedAt: 1 }]);
    expect(batches).toEqual([["upsert:todo:a:load", "upsert:todo:b:load", "upsert:note:n:load"]]);
    expect(calls).toEqual([]);
    expect(store.todo.length).toBe(2);
    expect(store.note.findById("n")).toBeDefined();
  });

  it("loadEntities validates everything first", () => {
    const store = KalphiteStore(AppSchema);
    expect(() => store.loadEntities([todo("a"), { id: "b", type: "todo" } as never])).toThrow(/todo "b"/);
    expect(() => store.loadEntities([{ id: "x" } as never])).toThrow(/type/);
    expect(store.todo.length).toBe(0);
  });

  it("a sink that refuses a change (e.g. a full queue) leaves the store unchanged", () => {
    const refusing: ChangeSink = {
      scheduleFlush: () => {
        throw new KalphiteError("QUEUE_FULL", "queue full");
      },
      scheduleDelete: () => undefined,
    };
    const store = KalphiteStore(AppSchema, { sink: refusing });
    const heard = vi.fn();
    store.subscribe(heard);
    expect(() => store.todo.upsert("a", todo("a"))).toThrow("queue full");
    expect(store.todo.length).toBe(0);
    expect(heard).not.toHaveBeenCalled();
  });

  it("clear() empties every collection with one notification", () => {
    const store = KalphiteStore(AppSchema);
    store.todo.upsertMany([todo("a"), todo("b")]);
    store.note.upsert("n", { id: "n", type: "note", body: "", updatedAt: 1 });
    const todos = store.todo;
    const batches: string[][] = [];
    store.subscribe((changes) => batches.push(summary(changes)));
    store.clear();
    expect(todos.length).toBe(0);
    expect(store.note.length).toBe(0);
    expect(batches).toEqual([["delete:todo:a:local", "delete:todo:b:local", "delete:note:n:local"]]);
    expect(store.todo).toBe(todos);
  });
});

describe("the store object", () => {
  it("createKalphiteStore is KalphiteStore", () => {
    expect(createKalphiteStore).toBe(KalphiteStore);
  });

  it("accepts any { id, type } entity without a schema", () => {
    const store = KalphiteStore();
    const widgets = store.getByType("widget");
    widgets.upsert("w1", { id: "w1", type: "widget", size: 3 });
    expect(store.getById("widget", "w1")).toEqual({ id: "w1", type: "widget", size: 3 });
    expect(store.widget).toBe(widgets);
    expect(() => widgets.upsert("w2", 5 as never)).toThrow(/expected an object/);
  });

  it("has no collection for names tools probe, and refuses assignment", () => {
    const store = KalphiteStore(AppSchema);
    expect((store as unknown as Record<string, unknown>).then).toBeUndefined();
    expect((store as unknown as Record<string, unknown>).toJSON).toBeUndefined();
    expect("todo" in store).toBe(false);
    void store.todo;
    expect("todo" in store).toBe(true);
    expect(() => {
      (store as unknown as Record<string, unknown>).todo = [];
    }).toThrow(KalphiteError);
  });

  it("getById of an unknown type or id is undefined and creates nothing", () => {
    const store = KalphiteStore(AppSchema);
    expect(store.getById("todo", "x")).toBeUndefined();
    expect("todo" in store).toBe(false);
  });

  it("refuses bad options with a clear error", () => {
    expect(() => KalphiteStore(AppSchema, { sink: {} as never })).toThrow(/scheduleFlush/);
    expect(() => KalphiteStore(AppSchema, { freeze: "no" as never })).toThrow(/freeze/);
    expect(() => KalphiteStore(AppSchema, null as never)).toThrow(/options/);
    expect(() => KalphiteStore({ parse: () => 1 } as never)).toThrow(/Standard Schema/);
  });
});

describe("a sink that fails part-way through a bulk delete", () => {
  it("keeps everything (all-or-nothing), then throws; the accepted deletes are compensated", () => {
    const calls: string[] = [];
    let refuse = false;
    const sink: ChangeSink = {
      scheduleFlush: (id) => void calls.push(`flush:${id}`),
      scheduleDelete: (id) => {
        if (refuse && calls.length === 2) throw new KalphiteError("QUEUE_FULL", "queue full");
        calls.push(`delete:${id}`);
      },
    };
    const store = KalphiteStore(AppSchema, { sink });
    store.todo.upsertMany([todo("a"), todo("b"), todo("c"), todo("d")]);
    calls.length = 0;
    refuse = true;
    const heard: string[] = [];
    store.subscribe((changes) => heard.push(...summary(changes)));
    expect(() => store.todo.deleteMany(["a", "b", "c"])).toThrow("queue full");
    expect(store.todo.map((t) => t.id)).toEqual(["a", "b", "c", "d"]);
    expect(heard).toEqual([]);
    // "a" and "b" were accepted before the refusal: the sink is asked to store them again.
    expect(calls).toEqual(["delete:a", "delete:b", "flush:a", "flush:b"]);
  });
});
