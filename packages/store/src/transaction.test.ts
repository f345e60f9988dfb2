import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KalphiteError, KalphiteStore, ValidationError } from "./index";
import type { BaseEntity, ChangeBatch, ChangeSink, Entity, JsonPatchOperation } from "./index";
import { AppSchema, todo } from "./test-fixtures";

function batchSink() {
  const batches: ChangeBatch<BaseEntity>[] = [];
  const control = { refusing: false };
  const sink: ChangeSink = {
    scheduleFlush: () => undefined,
    scheduleDelete: () => undefined,
    scheduleBatch: (batch) => {
      if (control.refusing) throw new KalphiteError("QUEUE_FULL", "queue full");
      batches.push(batch);
    },
  };
  return { sink, batches, control };
}

function seeded() {
  const { sink, batches, control } = batchSink();
  const store = KalphiteStore(AppSchema, { sink });
  store.todo.upsertMany([todo("a", { priority: 1 }), todo("b", { priority: 2, completed: true }), todo("c", { priority: 3 })]);
  store.note.upsert("n", { id: "n", type: "note", body: "x", updatedAt: 1 });
  batches.length = 0;
  const open = store.todo.live.where((t) => !t.completed);
  const sorted = store.todo.live.orderBy("priority", "desc");
  const heard: string[] = [];
  store.subscribe((changes) => heard.push(`store:${changes.length}`));
  store.todo.subscribe((changes) => heard.push(`todo:${changes.length}`));
  open.subscribe(() => heard.push("view:open"));
  sorted.subscribe(() => heard.push("view:sorted"));
  const snapshot = () => ({
    todos: [...store.todo],
    notes: [...store.note],
    open: open.map((t) => t.id),
    sorted: sorted.map((t) => t.id),
  });
  return { store, batches, control, heard, snapshot };
}

describe("store.transaction", () => {
  it("applies fn's changes as one batch and one notification, with patches and their inverse", () => {
    const { store, batches, heard } = seeded();
    const { result, patches, inversePatches, batchId } = store.transaction(() => {
      store.todo.upsert("d", todo("d"));
      store.todo.update("a", (t) => {
        t.title = "renamed";
        t.tags.push("x");
      });
      store.todo.delete("b");
      store.note.update("n", (n) => {
        n.meta = { pinned: true };
      });
      return "done";
    });
    expect(result).toBe("done");
    expect(batches).toHaveLength(1);
    expect(batches[0]!.batchId).toBe(batchId);
    expect(heard.filter((h) => h.startsWith("store"))).toEqual(["store:4"]);
    expect(patches).toEqual([
      { op: "add", path: "/todo/d", value: store.todo.findById("d") },
      { op: "replace", path: "/todo/a/title", value: "renamed" },
      { op: "replace", path: "/todo/a/tags", value: ["x"] },
      { op: "remove", path: "/todo/b" },
      { op: "add", path: "/note/n/meta", value: { pinned: true } },
    ]);
    expect(inversePatches).toEqual([
      { op: "remove", path: "/note/n/meta" },
      { op: "add", path: "/todo/b", value: todo("b", { priority: 2, completed: true }) },
      { op: "replace", path: "/todo/a/tags", value: [] },
      { op: "replace", path: "/todo/a/title", value: "todo a" },
      { op: "remove", path: "/todo/d" },
    ]);
  });

  it("escapes ~ and / in types, ids and fields (RFC 6901)", () => {
    const store = KalphiteStore();
    const { patches } = store.transaction(() => {
      store.getByType("a/b~c").upsert("i/d~", { "f/~": 1 });
      store.getByType("a/b~c").upsert("i/d~", { "f/~": 2 });
    });
    expect(patches.map((p) => p.path)).toEqual(["/a~1b~0c/i~1d~0", "/a~1b~0c/i~1d~0/f~1~0"]);
    const copy = KalphiteStore();
    copy.applyPatches(patches);
    expect(copy.getById("a/b~c", "i/d~")).toEqual({ id: "i/d~", type: "a/b~c", "f/~": 2 });
  });

  it("when fn throws, nothing of it remains: store, collections, views, listeners, sink", () => {
    const { store, batches, heard, snapshot } = seeded();
    const before = snapshot();
    const todos = store.todo;
    const boom = new Error("boom");
    expect(() =>
      store.transaction(() => {
        store.todo.upsert("d", todo("d", { priority: 4 }));
        store.todo.deleteMany(["a", "c"]);
        store.todo.update("b", (t) => void (t.completed = false));
        store.applyRemote([{ operation: "delete", entityType: "note", entityId: "n" }]);
        store.clear();
        throw boom;
      }),
    ).toThrow(boom);
    expect(snapshot()).toEqual(before);
    expect(store.todo).toBe(todos);
    expect(heard).toEqual([]);
    expect(batches).toEqual([]);
    // and the next write is clean
    store.todo.upsert("e", todo("e"));
    expect(batches.map((b) => b.changes.map((c) => c.entityId))).toEqual([["e"]]);
    expect(heard).toEqual(["view:open", "view:sorted", "todo:1", "store:1"]);
  });

  it("refuses a fn that returns a Promise, undoing what it did before returning", async () => {
    const { store, batches, heard, snapshot } = seeded();
    const before = snapshot();
    let error: unknown;
    try {
      store.transaction((async () => {
        store.todo.upsert("d", todo("d"));
        await Promise.resolve();
      }) as () => unknown);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: "INVALID_ARGUMENT" });
    expect(snapshot()).toEqual(before);
    expect(heard).toEqual([]);
    expect(batches).toEqual([]);
    expect(() => store.transaction(5 as never)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });

  it("a sink refusal at commit undoes the transaction and rethrows", () => {
    const { store, control, heard, snapshot } = seeded();
    const before = snapshot();
    control.refusing = true;
    expect(() => store.transaction(() => store.todo.upsert("d", todo("d")))).toThrow("queue full");
    expect(snapshot()).toEqual(before);
    expect(heard).toEqual([]);
  });

  it("nested calls join the outer batch; a nested one that throws undoes only its own changes", () => {
    const { store, batches, heard } = seeded();
    let inner: JsonPatchOperation[] = [];
    const outer = store.transaction(
      () => {
        store.todo.upsert("d", todo("d"));
        inner = store.transaction(() => store.todo.delete("a"), { meta: { inner: true } }).patches;
        expect(() =>
          store.transaction(
            () => {
              store.todo.upsert("e", todo("e"));
              throw new Error("inner");
            },
            { meta: { failed: true } },
          ),
        ).toThrow("inner");
        store.batch(() => store.todo.upsert("f", todo("f")));
        expect(heard).toEqual([]);
      },
      { meta: { outer: true } },
    );
    expect(inner).toEqual([{ op: "remove", path: "/todo/a" }]);
    expect(outer.patches.map((p) => `${p.op} ${p.path}`)).toEqual(["add /todo/d", "remove /todo/a", "add /todo/f"]);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.meta).toEqual({ outer: true, inner: true });
    expect(batches[0]!.changes.map((c) => `${c.operation}:${c.entityId}`)).toEqual(["upsert:d", "delete:a", "upsert:f"]);
    expect(store.todo.map((t) => t.id)).toEqual(["b", "c", "d", "f"]);
    expect(heard.filter((h) => h.startsWith("store"))).toEqual(["store:3"]);
  });

  it("a transaction inside store.batch shares its batchId", () => {
    const { store, batches } = seeded();
    let id = "";
    store.batch(() => {
      store.todo.upsert("d", todo("d"));
      id = store.transaction(() => store.todo.upsert("e", todo("e"))).batchId;
    });
    expect(batches.map((b) => b.batchId)).toEqual([id]);
  });

  it("an empty transaction reports no patches and sends nothing", () => {
    const { store, batches } = seeded();
    const r = store.transaction(() => 1);
    expect(r).toMatchObject({ result: 1, patches: [], inversePatches: [] });
    expect(r.batchId).toMatch(/^b\d+$/);
    expect(batches).toEqual([]);
  });
});

describe("store.applyPatches", () => {
  it("applies add/remove/replace/move/copy/test, field-level and whole-entity, as one batch", () => {
    const { store, batches, heard } = seeded();
    store.applyPatches(
      [
        { op: "test", path: "/todo/a/priority", value: 1 },
        { op: "replace", path: "/todo/a/title", value: "A" },
        { op: "add", path: "/todo/a/tags/-", value: "t1" },
        { op: "add", path: "/todo/a/tags/0", value: "t0" },
        { op: "copy", from: "/todo/a/title", path: "/note/n/body" },
        { op: "remove", path: "/todo/b" },
        { op: "add", path: "/todo/z", value: { title: "new", completed: false, updatedAt: 2 } },
        { op: "move", from: "/todo/c/title", path: "/todo/c/title" },
      ],
      { meta: { cursor: 3 } },
    );
    expect(store.todo.findById("a")).toMatchObject({ title: "A", tags: ["t0", "t1"] });
    expect(store.note.findById("n")!.body).toBe("A");
    expect(store.todo.findById("b")).toBeUndefined();
    expect(store.todo.findById("z")).toMatchObject({ id: "z", type: "todo", priority: 0 });
    expect(batches).toHaveLength(1);
    expect(batches[0]!.meta).toEqual({ cursor: 3 });
    expect(batches[0]!.changes.map((c) => `${c.operation}:${c.entityId}:${c.origin}`)).toEqual(["upsert:a:local", "upsert:n:local", "delete:b:local", "upsert:z:local"]);
    expect(heard.filter((h) => h.startsWith("store"))).toEqual(["store:4"]);
  });

  it("origin remote reaches listeners and sink as remote", () => {
    const { store, batches } = seeded();
    store.applyPatches([{ op: "replace", path: "/todo/a/title", value: "R" }], { origin: "remote" });
    expect(batches[0]!.changes[0]!.origin).toBe("remote");
    expect(() => store.applyPatches([], { origin: "load" as never })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });

  it("is atomic: a failing operation or entity applies nothing", () => {
    const { store, batches, heard, snapshot } = seeded();
    const before = snapshot();
    const attempts: [readonly JsonPatchOperation[], string | typeof ValidationError][] = [
      [[{ op: "replace", path: "/todo/a/title", value: "A" }, { op: "test", path: "/todo/a/priority", value: 5 }], "PATCH_FAILED"],
      [[{ op: "remove", path: "/todo/a" }, { op: "remove", path: "/todo/zz" }], "PATCH_FAILED"],
      [[{ op: "replace", path: "/todo/zz/title", value: "x" }], "PATCH_FAILED"],
      [[{ op: "remove", path: "/todo/a" }, { op: "replace", path: "/todo/b/title", value: "" }], ValidationError],
      [[{ op: "replace", path: "/todo/a/id", value: "other" }], "ID_MISMATCH"],
      [[{ op: "add", path: "/todo", value: {} }], "INVALID_ARGUMENT"],
      [[{ op: "add", path: "todo/a", value: {} }], "INVALID_ARGUMENT"],
      [[{ op: "add", path: "/todo/a/tags/7", value: "x" }], "PATCH_FAILED"],
      [[{ op: "nope", path: "/todo/a" } as never], "INVALID_ARGUMENT"],
      [[{ op: "replace", path: "/todo/a~2/title", value: "x" }], "INVALID_ARGUMENT"],
      [[{ op: "move", from: "/todo/a/tags", path: "/todo/a/tags/0" }], "PATCH_FAILED"],
    ];
    for (const [patches, expected] of attempts) {
      if (typeof expected === "string") expect(() => store.applyPatches(patches)).toThrow(expect.objectContaining({ code: expected }));
      else expect(() => store.applyPatches(patches)).toThrow(expected);
      expect(snapshot()).toEqual(before);
    }
    expect(() => store.applyPatches("x" as never)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(heard).toEqual([]);
    expect(batches).toEqual([]);
  });

  it("never mutates the stored (frozen) entities or the values it was given", () => {
    const store = KalphiteStore();
    const value = { nested: { list: [1, 2] } };
    store.applyPatches([{ op: "add", path: "/doc/1", value }]);
    store.applyPatches([{ op: "add", path: "/doc/1/nested/list/-", value: 3 }]);
    expect(value).toEqual({ nested: { list: [1, 2] } });
    expect(store.getById("doc", "1")).toEqual({ id: "1", type: "doc", nested: { list: [1, 2, 3] } });
    expect(Object.isFrozen(store.getById("doc", "1")!.nested)).toBe(true);
  });

  it("keeps a __proto__ key as data", () => {
    const store = KalphiteStore();
    store.getByType("doc").upsert("1", JSON.parse('{"a":{}}') as Entity);
    store.applyPatches([{ op: "add", path: "/doc/1/a/__proto__", value: { polluted: true } }]);
    const a = store.getById("doc", "1")!.a as Record<string, unknown>;
    expect(Object.getPrototypeOf(a)).toBe(Object.prototype);
    expect(Object.keys(a)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

// ---- the property -----------------------------------------------------------

const text = fc.string({ unit: "binary", maxLength: 6 });
const leaf = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null));
const json = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, fc.array(tie("value"), { maxLength: 3 }), fc.dictionary(text, tie("value"), { maxKeys: 3 })),
})).value;
const fields = fc.dictionary(text.filter((k) => k !== "id" && k !== "type"), json, { maxKeys: 4 });
const typeName = fc.constantFrom("x", "y/z", "~t");
const idName = fc.oneof(fc.constantFrom("1", "2", "3"), text.filter((s) => s !== ""));
type Op =
  | { kind: "upsert"; type: string; id: string; fields: Record<string, unknown> }
  | { kind: "delete"; type: string; id: string }
  | { kind: "deleteMany"; type: string; ids: string[] }
  | { kind: "remote"; type: string; id: string; fields: Record<string, unknown> | undefined };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("upsert" as const), type: typeName, id: idName, fields }),
  fc.record({ kind: fc.constant("delete" as const), type: typeName, id: idName }),
  fc.record({ kind: fc.constant("deleteMany" as const), type: typeName, ids: fc.array(idName, { maxLength: 4 }) }),
  fc.record({ kind: fc.constant("remote" as const), type: typeName, id: idName, fields: fc.option(fields, { nil: undefined }) }),
);

function run(store: KalphiteStore<Entity>, o: Op): void {
  const c = store.getByType(o.type);
  if (o.kind === "upsert") c.upsert(o.id, o.fields as never);
  else if (o.kind === "delete") c.delete(o.id);
  else if (o.kind === "deleteMany") c.deleteMany(o.ids);
  else {
    store.applyRemote([
      o.fields === undefined
        ? { operation: "delete", entityType: o.type, entityId: o.id }
        : { operation: "upsert", entityType: o.type, entityId: o.id, entity: { ...o.fields, id: o.id, type: o.type } as Entity },
    ]);
  }
}

const dump = (store: KalphiteStore<Entity>) =>
  Object.fromEntries(["x", "y/z", "~t"].map((t) => [t, store.getByType(t).map((e) => e)]));

describe("patches, as a property", () => {
  it("inversePatches restore the state; patches applied to a copy reproduce it", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 8 }), fc.array(op, { maxLength: 12 }), (setup, ops) => {
        const store = KalphiteStore<Entity>();
        const copy = KalphiteStore<Entity>();
        for (const o of setup) {
          run(store, o);
          run(copy, o);
        }
        const before = dump(store);
        const { patches, inversePatches } = store.transaction(() => {
          for (const o of ops) run(store, o);
        });
        const after = dump(store);
        copy.applyPatches(patches);
        // Same entities; a copy's order can differ only where an entity was deleted and re-added.
        for (const t of Object.keys(after)) {
          expect(new Map(dump(copy)[t]!.map((e) => [e.id, e]))).toEqual(new Map(after[t]!.map((e) => [e.id, e])));
        }
        store.applyPatches(inversePatches);
        const restored = dump(store);
        for (const t of Object.keys(before)) {
          expect(new Map(restored[t]!.map((e) => [e.id, e]))).toEqual(new Map(before[t]!.map((e) => [e.id, e])));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a transaction that throws leaves exactly the state it started from, in order", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 8 }), fc.array(op, { maxLength: 12 }), (setup, ops) => {
        const store = KalphiteStore<Entity>();
        for (const o of setup) run(store, o);
        const views = ["x", "y/z", "~t"].map((t) => store.getByType(t).live.where((e) => Object.keys(e).length % 2 === 0));
        const before = dump(store);
        const viewsBefore = views.map((v) => v.map((e) => e));
        expect(() =>
          store.transaction(() => {
            for (const o of ops) run(store, o);
            throw new Error("undo");
          }),
        ).toThrow("undo");
        expect(dump(store)).toEqual(before);
        expect(views.map((v) => v.map((e) => e))).toEqual(viewsBefore);
      }),
      { numRuns: 300 },
    );
  });
});
