import { describe, expect, it } from "vitest";
import { KalphiteError, KalphiteStore, ValidationError } from "./index";
import type { BaseEntity, ChangeBatch, ChangeSink, KalphiteStore as Store } from "./index";
import { AppSchema, todo, type NoteEntity, type TodoEntity } from "./test-fixtures";

type App = TodoEntity | NoteEntity;
const note = (id: string, body = ""): NoteEntity => ({ id, type: "note", body, updatedAt: 1 });

/** A sink with scheduleBatch that records every batch, and refuses while `refusing` is set. */
function batchSink() {
  const batches: ChangeBatch<BaseEntity>[] = [];
  const perChange: string[] = [];
  const control = { refusing: false };
  const sink: ChangeSink = {
    scheduleFlush: (id) => void perChange.push(`flush:${id}`),
    scheduleDelete: (id) => void perChange.push(`delete:${id}`),
    scheduleBatch: (batch) => {
      if (control.refusing) throw new KalphiteError("QUEUE_FULL", "queue full");
      batches.push(batch);
    },
  };
  return { sink, batches, perChange, control };
}

/** A sink without scheduleBatch that refuses the `failAt`-th call (0-based) while set. */
function perChangeSink() {
  const calls: string[] = [];
  const control = { failAt: -1, seen: 0 };
  const step = (what: string) => {
    if (control.failAt >= 0 && control.seen++ === control.failAt) throw new KalphiteError("QUEUE_FULL", "queue full");
    calls.push(what);
  };
  const sink: ChangeSink = {
    scheduleFlush: (id, entity) => step(`flush:${entity.type}:${id}`),
    scheduleDelete: (id, type) => step(`delete:${type}:${id}`),
  };
  return { sink, calls, control };
}

const summary = (batch: ChangeBatch<BaseEntity>) => batch.changes.map((c) => `${c.operation}:${c.entityType}:${c.entityId}:${c.origin}`);

/** Everything an observer could see of a store: collections in order, and some live views. */
function watch(store: Store<App>) {
  const open = store.todo.live.where((t) => !t.completed);
  const sorted = store.todo.live.orderBy("priority", "desc");
  const groups = store.todo.live.groupBy((t) => t.priority);
  const heard: string[] = [];
  store.subscribe((changes) => heard.push(`store:${changes.length}`));
  store.todo.subscribe((changes) => heard.push(`todo:${changes.length}`));
  store.note.subscribe((changes) => heard.push(`note:${changes.length}`));
  open.subscribe(() => heard.push("view:open"));
  sorted.subscribe(() => heard.push("view:sorted"));
  groups.subscribe(() => heard.push("view:groups"));
  const snapshot = () => ({
    todos: store.todo.map((t) => t),
    notes: store.note.map((n) => n),
    open: open.map((t) => t.id),
    sorted: sorted.map((t) => t.id),
    groups: [...groups.entries()].map(([k, v]) => [k, v.map((t) => t.id)]),
  });
  return { heard, snapshot };
}

function seeded(sink: ChangeSink) {
  const store = KalphiteStore(AppSchema, { sink });
  store.todo.upsertMany([todo("a", { priority: 1 }), todo("b", { priority: 2, completed: true }), todo("c", { priority: 3 }), todo("d")]);
  store.note.upsert("n1", note("n1"));
  return store;
}

/** Every write path of the store, each touching several entities where it can. */
const WRITES: [string, (store: Store<App>) => unknown][] = [
  ["upsert (insert)", (s) => s.todo.upsert("e", todo("e"))],
  ["upsert (replace)", (s) => s.todo.upsert("a", todo("a", { completed: true }))],
  ["delete", (s) => s.todo.delete("b")],
  ["update", (s) => s.todo.update("c", (d) => void (d.priority = 0))],
  ["upsertMany", (s) => s.todo.upsertMany([todo("e"), todo("a", { priority: 5 }), todo("f", { completed: true })])],
  ["deleteMany", (s) => s.todo.deleteMany(["a", "c", "d"])],
  ["push", (s) => s.todo.push(todo("e"), todo("f"))],
  ["pop", (s) => s.todo.pop()],
  ["shift", (s) => s.todo.shift()],
  ["splice", (s) => s.todo.splice(1, 2)],
  ["clear", (s) => s.clear()],
  [
    "applyRemote",
    (s) =>
      s.applyRemote([
        { operation: "upsert", entityType: "todo", entityId: "a", entity: todo("a", { priority: 4 }) },
        { operation: "delete", entityType: "todo", entityId: "c" },
        { operation: "upsert", entityType: "note", entityId: "n2", entity: note("n2") },
        { operation: "delete", entityType: "note", entityId: "n1" },
      ]),
  ],
  [
    "batch",
    (s) =>
      s.batch(() => {
        s.todo.upsert("e", todo("e"));
        s.todo.delete("a");
        s.todo.upsert("a", todo("a", { priority: 2 }));
        s.todo.deleteMany(["b", "c"]);
        s.note.upsert("n1", note("n1", "changed"));
        s.todo.update("d", (d) => void (d.completed = true));
      }),
  ],
];

describe("a sink with scheduleBatch", () => {
  it.each(WRITES)("%s: one batch, sent before any listener hears of it", (_name, write) => {
    const { sink, batches } = batchSink();
    const store = seeded(sink);
    batches.length = 0;
    let sentWhenHeard = -1;
    store.subscribe(() => void (sentWhenHeard = batches.length));
    write(store);
    expect(batches).toHaveLength(1);
    expect(sentWhenHeard).toBe(1);
    expect(batches[0]!.changes.length).toBeGreaterThan(0);
  });

  it.each(WRITES)("%s: a refusal rolls everything back; nobody hears, nothing is sent", (_name, write) => {
    const { sink, batches, perChange, control } = batchSink();
    const store = seeded(sink);
    const { heard, snapshot } = watch(store);
    const before = snapshot();
    batches.length = 0;
    control.refusing = true;
    expect(() => write(store)).toThrow("queue full");
    expect(snapshot()).toEqual(before);
    expect(heard).toEqual([]);
    expect(batches).toEqual([]);
    expect(perChange).toEqual([]);
    // The store still works, and the rolled-back batch does not leak into the next one.
    control.refusing = false;
    store.todo.upsert("z", todo("z"));
    expect(batches.map(summary)).toEqual([["upsert:todo:z:local"]]);
    expect(heard).toEqual(["view:open", "view:sorted", "view:groups", "todo:1", "store:1"]);
    expect(store.todo.map((t) => t.id)).toEqual([...before.todos.map((t) => t.id), "z"]);
  });

  it("batch ids are monotonic per store; changes keep their order and origin", () => {
    const { sink, batches } = batchSink();
    const store = KalphiteStore(AppSchema, { sink });
    store.todo.upsert("a", todo("a"));
    store.batch(() => {
      store.todo.upsert("b", todo("b"));
      store.batch(() => store.todo.delete("a"));
      store.applyRemote([{ operation: "upsert", entityType: "note", entityId: "n", entity: note("n") }]);
    });
    store.todo.deleteMany(["b"]);
    expect(batches.map((b) => b.batchId)).toEqual(["b1", "b2", "b3"]);
    expect(batches.map(summary)).toEqual([
      ["upsert:todo:a:local"],
      ["upsert:todo:b:local", "delete:todo:a:local", "upsert:note:n:remote"],
      ["delete:todo:b:local"],
    ]);
    const other = KalphiteStore(AppSchema, { sink: batchSink().sink });
    expect(() => other.todo.upsert("a", todo("a"))).not.toThrow();
  });

  it("carries meta from batch, applyRemote and nested batches (merged)", () => {
    const { sink, batches } = batchSink();
    const store = KalphiteStore(AppSchema, { sink });
    store.applyRemote([{ operation: "upsert", entityType: "todo", entityId: "a", entity: todo("a") }], { meta: { cursor: "42" } });
    store.batch(
      () => {
        store.todo.upsert("b", todo("b"));
        store.batch(() => store.todo.upsert("c", todo("c")), { meta: { inner: 1 } });
      },
      { meta: { outer: true } },
    );
    store.todo.upsert("d", todo("d"));
    expect(batches.map((b) => b.meta)).toEqual([{ cursor: "42" }, { outer: true, inner: 1 }, undefined]);
  });

  it("an applyRemote with meta and no change still reaches the sink (a cursor moves on)", () => {
    const { sink, batches } = batchSink();
    const store = KalphiteStore(AppSchema, { sink });
    store.applyRemote([], { meta: { cursor: "7" } });
    expect(batches).toEqual([{ batchId: "b1", changes: [], meta: { cursor: "7" } }]);
    store.applyRemote([]);
    store.batch(() => undefined);
    expect(batches).toHaveLength(1);
  });

  it("never sends loads, not even when they share a batch with local writes", () => {
    const { sink, batches } = batchSink();
    const store = KalphiteStore(AppSchema, { sink });
    store.loadEntities([todo("a"), todo("b")]);
    expect(batches).toEqual([]);
    store.batch(() => {
      store.loadEntities([todo("c")]);
      store.todo.upsert("d", todo("d"));
    });
    expect(batches.map(summary)).toEqual([["upsert:todo:d:local"]]);
  });

  it("a remote delete of an unknown type or id changes nothing and creates no collection", () => {
    const { sink, batches } = batchSink();
    const store = KalphiteStore(undefined, { sink });
    store.applyRemote([
      { operation: "delete", entityType: "ghost", entityId: "x" },
      { operation: "delete", entityType: "other", entityId: "y" },
    ]);
    expect(batches).toEqual([]);
    expect(Object.keys(store)).toEqual([]);
  });

  it("refuses bad options with INVALID_ARGUMENT", () => {
    const store = KalphiteStore(AppSchema);
    expect(() => store.batch(() => 1, { meta: 5 as never })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => store.applyRemote([], null as never)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => KalphiteStore(AppSchema, { sink: { scheduleFlush() {}, scheduleDelete() {}, scheduleBatch: 1 } as never })).toThrow(/scheduleBatch/);
  });

  it("a batch whose fn throws publishes what it applied; a sink refusal then undoes it and wins", () => {
    const { sink, batches, control } = batchSink();
    const store = KalphiteStore(AppSchema, { sink });
    expect(() =>
      store.batch(() => {
        store.todo.upsert("a", todo("a"));
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(batches.map(summary)).toEqual([["upsert:todo:a:local"]]);
    control.refusing = true;
    expect(() =>
      store.batch(() => {
        store.todo.upsert("b", todo("b"));
        throw new Error("boom");
      }),
    ).toThrow("queue full");
    expect(store.todo.map((t) => t.id)).toEqual(["a"]);
  });

  it("a write made by a listener is its own batch, sent at once", () => {
    const { sink, batches } = batchSink();
    const store = KalphiteStore(AppSchema, { sink });
    store.todo.subscribe((changes) => {
      if (changes.some((c) => c.entityId === "a")) store.note.upsert("log", note("log", "a changed"));
    });
    store.todo.upsert("a", todo("a"));
    expect(batches.map(summary)).toEqual([["upsert:todo:a:local"], ["upsert:note:log:local"]]);
  });
});

describe("a sink without scheduleBatch", () => {
  it("gets scheduleFlush/scheduleDelete per change, at commit time", () => {
    const { sink, calls } = perChangeSink();
    const store = KalphiteStore(AppSchema, { sink });
    store.batch(() => {
      store.todo.upsert("a", todo("a"));
      expect(calls).toEqual([]);
      store.todo.delete("a");
      store.note.upsert("n", note("n"));
    });
    expect(calls).toEqual(["flush:todo:a", "delete:todo:a", "flush:note:n"]);
  });

  it.each(WRITES)("%s: a refusal part-way rolls back and re-sends what was accepted", (_name, write) => {
    const { sink, calls, control } = perChangeSink();
    const store = seeded(sink);
    const { heard, snapshot } = watch(store);
    const before = snapshot();
    calls.length = 0;
    control.failAt = 1; // the first change passes, the second is refused
    control.seen = 0;
    const single = ["upsert (insert)", "upsert (replace)", "delete", "update", "pop", "shift"].includes(_name);
    if (single) control.failAt = 0;
    expect(() => write(store)).toThrow("queue full");
    expect(snapshot()).toEqual(before);
    expect(heard).toEqual([]);
    if (single) expect(calls).toEqual([]);
    else {
      // The accepted change is followed by what restores its entity's previous state.
      expect(calls).toHaveLength(2);
      const [type, id] = calls[0]!.split(":").slice(1);
      const was = store.getById(type as "todo", id!);
      expect(calls[1]).toBe(was === undefined ? `delete:${type}:${id}` : `flush:${type}:${id}`);
    }
  });
});

describe("loadEntities", () => {
  it("returns how many it loaded; by default one invalid entity refuses the whole load", () => {
    const store = KalphiteStore(AppSchema);
    expect(store.loadEntities([todo("a"), todo("b")])).toEqual({ loaded: 2, invalid: [] });
    expect(() => store.loadEntities([todo("c"), { id: "d", type: "todo" } as never])).toThrow(ValidationError);
    expect(store.todo.map((t) => t.id)).toEqual(["a", "b"]);
  });

  it('onInvalid: "skip" loads the rest and reports each invalid one with its type, id and error', () => {
    const store = KalphiteStore(AppSchema);
    const heard: number[] = [];
    store.subscribe((changes) => heard.push(changes.length));
    const bad = { id: "d", type: "todo", title: "" };
    const result = store.loadEntities([todo("c"), bad as never, { nothing: true } as never, todo("e")], { onInvalid: "skip" });
    expect(result.loaded).toBe(2);
    expect(result.invalid).toHaveLength(2);
    expect(result.invalid[0]).toMatchObject({ entityType: "todo", entityId: "d", entity: bad });
    expect(result.invalid[0]!.error).toBeInstanceOf(ValidationError);
    expect(result.invalid[1]!.entityType).toBeUndefined();
    expect(result.invalid[1]!.error.code).toBe("VALIDATION_FAILED");
    expect(store.todo.map((t) => t.id)).toEqual(["c", "e"]);
    expect(heard).toEqual([2]);
  });

  it("refuses an unknown onInvalid", () => {
    const store = KalphiteStore(AppSchema);
    expect(() => store.loadEntities([todo("a")], { onInvalid: "ignore" as never })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(store.todo.length).toBe(0);
  });
});

describe("changes are recorded only when someone needs them", () => {
  it("a store without sink or listeners still rolls back a transaction whole, loads included", () => {
    const store = KalphiteStore<App>(undefined, { freeze: false });
    store.loadEntities([todo("a"), note("n")]);
    const open = store.todo.live.where(() => true);
    expect(() =>
      store.transaction(() => {
        store.loadEntities([todo("b"), note("m")]);
        store.todo.upsert("a", { ...todo("a"), title: "changed" });
        store.note.delete("n");
        throw new Error("undo");
      }),
    ).toThrow("undo");
    expect(store.todo.map((t) => [t.id, t.title])).toEqual([["a", todo("a").title]]);
    expect(store.note.map((n) => n.id)).toEqual(["n"]);
    expect(open.map((t) => t.id)).toEqual(["a"]);
  });

  it("a collection's listener hears its changes, whatever the other collections do; a store listener hears all", () => {
    const store = KalphiteStore<App>(undefined, { freeze: false });
    const todos: string[] = [];
    store.todo.subscribe((changes) => todos.push(...changes.map((c) => `${c.operation}:${c.entityId}`)));
    store.batch(() => {
      store.note.upsert("n", note("n"));
      store.todo.upsert("a", todo("a"));
      store.note.delete("n");
      store.todo.delete("a");
    });
    expect(todos).toEqual(["upsert:a", "delete:a"]);
    const all: string[] = [];
    store.subscribe((changes) => all.push(...changes.map((c) => `${c.entityType}:${c.entityId}`)));
    store.loadEntities([note("x"), todo("y")]);
    expect(all).toEqual(["note:x", "todo:y"]);
  });

  it("a listener that subscribes inside a batch hears the batch's changes from then on", () => {
    const store = KalphiteStore<App>(undefined, { freeze: false });
    const heard: string[] = [];
    store.batch(() => {
      store.todo.upsert("before", todo("before"));
      store.todo.subscribe((changes) => heard.push(...changes.map((c) => c.entityId)));
      store.todo.upsert("after", todo("after"));
    });
    expect(heard).toEqual(["after"]);
  });
});

describe("a store listener subscribed inside a batch", () => {
  it("hears the batch's changes from then on, of every type", () => {
    const store = KalphiteStore<App>(undefined, { freeze: false });
    const heard: string[] = [];
    store.batch(() => {
      store.todo.upsert("before", todo("before"));
      store.subscribe((changes) => heard.push(...changes.map((c) => `${c.entityType}:${c.entityId}`)));
      store.todo.upsert("after", todo("after"));
      store.note.upsert("n", note("n"));
    });
    expect(heard).toEqual(["todo:after", "note:n"]);
  });

  it("a collection listener hears writes before and after a nested transaction in order, and not the rolled-back ones", () => {
    const store = KalphiteStore<App>(undefined, { freeze: false });
    const heard: string[] = [];
    store.todo.subscribe((changes) => heard.push(...changes.map((c) => `${c.operation}:${c.entityId}`)));
    store.batch(() => {
      store.todo.upsert("a", todo("a"));
      store.transaction(() => store.todo.upsert("b", todo("b")));
      expect(() =>
        store.transaction(() => {
          store.todo.upsert("c", todo("c"));
          throw new Error("undo");
        }),
      ).toThrow("undo");
      store.todo.delete("a");
    });
    expect(heard).toEqual(["upsert:a", "upsert:b", "delete:a"]);
    expect(store.todo.map((t) => t.id)).toEqual(["b"]);
  });
});
