import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { KalphiteStore, ValidationError, compareKeys, deepFreeze } from "./index";
import type { Entity } from "./index";
import { AppSchema, todo } from "./test-fixtures";

function refusal(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error("expected a ValidationError");
}

class Point {
  constructor(readonly x: number) {}
}

describe("entities are JSON data", () => {
  const cases: [string, unknown, PropertyKey[], RegExp][] = [
    ["a Date", new Date(0), ["v"], /Date is not JSON data/],
    ["a Map", new Map(), ["v"], /Map is not JSON data/],
    ["a Set", new Set([1]), ["v"], /Set is not JSON data/],
    ["a class instance", new Point(1), ["v"], /Point is not JSON data/],
    ["a function", () => 1, ["v"], /function/],
    ["a symbol", Symbol("s"), ["v"], /symbol/],
    ["a bigint", 10n, ["v"], /bigint/],
    ["NaN", NaN, ["v"], /NaN/],
    ["Infinity", Infinity, ["v"], /Infinity/],
    ["-Infinity", -Infinity, ["v"], /Infinity/],
    ["undefined in an array", [1, undefined], ["v", 1], /undefined inside an array/],
    // eslint-disable-next-line no-sparse-arrays
    ["a hole in an array", [1, , 3], ["v", 1], /hole/],
    ["a lone high surrogate", "a\uD800b", ["v"], /lone surrogate/],
    ["a lone low surrogate", "\uDC00", ["v"], /lone surrogate/],
    ["a nested Date", { deep: [{ at: new Date(0) }] }, ["v", "deep", 0, "at"], /Date/],
    ["a typed array", new Uint8Array(2), ["v"], /Uint8Array/],
  ];
  it.each(cases)("refuses %s with VALIDATION_FAILED naming the path", (_name, value, path, message) => {
    const store = KalphiteStore();
    const error = refusal(() => store.getByType("doc").upsert("d", { v: value }));
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.entityType).toBe("doc");
    expect(error.entityId).toBe("d");
    expect(error.issues[0]!.path).toEqual(path);
    expect(error.issues[0]!.message).toMatch(message);
    expect(error.message).toContain(path.map(String).join("."));
    expect(store.getById("doc", "d")).toBeUndefined();
  });

  it("refuses a key holding a lone surrogate, symbol keys and cycles", () => {
    const store = KalphiteStore();
    const docs = store.getByType("doc");
    expect(refusal(() => docs.upsert("d", { nested: { ["k\uDBFF"]: 1 } })).issues[0]!.path).toEqual(["nested", "k\uDBFF"]);
    expect(refusal(() => docs.upsert("d", { nested: { [Symbol("s")]: 1 } })).issues[0]!.path).toEqual(["nested"]);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(refusal(() => docs.upsert("d", { cyclic })).issues[0]!.message).toMatch(/cycle/);
    expect(docs.length).toBe(0);
  });

  it("accepts deep nesting (past the fast path's depth) and freezes all of it", () => {
    const store = KalphiteStore(undefined, { freeze: true });
    let deep: Record<string, unknown> = { leaf: [1] };
    for (let i = 0; i < 100; i++) deep = { next: deep };
    const stored = store.getByType("doc").upsert("d", { deep }) as unknown as { deep: Record<string, unknown> };
    let at: Record<string, unknown> = stored.deep;
    let levels = 0;
    while (at.next !== undefined) {
      expect(Object.isFrozen(at)).toBe(true);
      at = at.next as Record<string, unknown>;
      levels++;
    }
    expect(levels).toBe(100);
    expect(Object.isFrozen(at.leaf)).toBe(true);
  });

  it("accepts \\u0000, astral characters, -0, null-prototype objects and deep JSON", () => {
    const store = KalphiteStore();
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    const value = { s: "a\u0000b😀～", n: -0, list: [null, true, 1.5, "x", [], {}], bare };
    const stored = store.getByType("doc").upsert("d", value);
    expect(stored).toEqual({ id: "d", type: "doc", ...value });
  });

  it("leaves out properties whose value is undefined, as JSON does, without touching the input", () => {
    const store = KalphiteStore();
    const input = { a: 1, gone: undefined, nested: { b: undefined, c: [{ d: undefined }] } };
    const stored = store.getByType("doc").upsert("d", input);
    expect(Object.keys(stored)).toEqual(["a", "nested", "id", "type"].filter((k) => k in stored));
    expect("gone" in stored).toBe(false);
    expect(stored.nested).toEqual({ c: [{}] });
    expect("b" in (stored.nested as object)).toBe(false);
    expect("gone" in input).toBe(true);
    expect(Object.isFrozen(stored.nested)).toBe(true);
  });

  it("checks what a schema outputs, on every write path (remote, load, update, patches)", () => {
    const store = KalphiteStore(z.object({ id: z.string(), type: z.literal("doc"), v: z.any() }));
    expect(() => store.doc.upsert("a", { v: new Date() })).toThrow(ValidationError);
    expect(() => store.applyRemote([{ operation: "upsert", entityType: "doc", entityId: "a", entity: { id: "a", type: "doc", v: NaN } }])).toThrow(ValidationError);
    expect(() => store.loadEntities([{ id: "a", type: "doc", v: 1n }])).toThrow(ValidationError);
    store.doc.upsert("a", { v: 1 });
    expect(() => store.doc.update("a", (d) => void (d.v = new Map()))).toThrow(ValidationError);
    expect(() => store.applyPatches([{ op: "replace", path: "/doc/a/v", value: [undefined] }])).toThrow(ValidationError);
    expect(store.doc.findById("a")!.v).toBe(1);
    const r = store.loadEntities([{ id: "b", type: "doc", v: Infinity }, { id: "c", type: "doc", v: 2 }], { onInvalid: "skip" });
    expect(r.loaded).toBe(1);
    expect(r.invalid[0]!.error.issues[0]!.path).toEqual(["v"]);
  });

  it("batch meta must be JSON data too", () => {
    const store = KalphiteStore();
    expect(() => store.batch(() => 1, { meta: { at: new Date() } })).toThrow(/options\.meta\.at/);
    expect(() => store.applyRemote([], { meta: { n: NaN } })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });
});

describe("what the schema returns is rechecked", () => {
  it("refuses a schema that changes the id or the type", () => {
    const renaming = z.object({ id: z.string().transform((id) => `${id}!`), type: z.literal("doc") });
    const store = KalphiteStore(renaming);
    expect(() => store.doc.upsert("a", {})).toThrow(expect.objectContaining({ code: "ID_MISMATCH" }));
    expect(() => store.loadEntities([{ id: "a", type: "doc" }])).toThrow(expect.objectContaining({ code: "ID_MISMATCH" }));
    const retyping = z.object({ id: z.string(), type: z.string().transform(() => "other") });
    expect(() => KalphiteStore(retyping).getByType("doc").upsert("a", {})).toThrow(expect.objectContaining({ code: "TYPE_MISMATCH" }));
  });
});

describe("deepFreeze", () => {
  it("freezes nested objects even when the root is frozen already", () => {
    const inner = { x: [1, { y: 2 }] };
    const root = Object.freeze({ inner });
    deepFreeze(root);
    expect(Object.isFrozen(inner)).toBe(true);
    expect(Object.isFrozen(inner.x)).toBe(true);
    expect(Object.isFrozen(inner.x[1])).toBe(true);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = Object.freeze({ back: cyclic });
    expect(() => deepFreeze(cyclic)).not.toThrow();
    expect(Object.isFrozen(cyclic)).toBe(true);
  });

  it("the store freezes a nested object inside a frozen entity it is given", () => {
    const store = KalphiteStore(AppSchema);
    const note = Object.freeze({ id: "n", type: "note" as const, body: "", meta: { pinned: true }, updatedAt: 1 });
    const schemaless = KalphiteStore();
    const stored = schemaless.getByType("note").upsert("n", note);
    expect(Object.isFrozen(stored.meta)).toBe(true);
    expect(Object.isFrozen(store.note.upsert("n", note).meta)).toBe(true);
  });
});

describe("compareKeys", () => {
  it("orders strings by code point, as PostgreSQL's C collation does", () => {
    expect(compareKeys("～", "😀")).toBeLessThan(0); // U+FF5E < U+1F600, though "\uFF5E" > "\uD83D" by code unit
    expect(compareKeys("😀", "～")).toBeGreaterThan(0);
    expect(compareKeys("a", "ab")).toBeLessThan(0);
    expect(compareKeys("\uE000", "\uD800\uDC00")).toBeLessThan(0);
    const store = KalphiteStore();
    store.getByType("s").upsertMany([{ id: "1", type: "s", k: "😀" }, { id: "2", type: "s", k: "～" }, { id: "3", type: "s", k: "z" }]);
    expect(store.getByType("s").orderBy("k").map((e) => e.k)).toEqual(["z", "～", "😀"]);
    expect(store.getByType("s").live.orderBy("k").map((e) => e.k)).toEqual(["z", "～", "😀"]);
  });

  it("agrees with the code-point order of a UTF-8 encoding", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (a, b) => {
        const bytes = Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
        expect(Math.sign(compareKeys(a, b))).toBe(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it("is a total order across mixed types and NaN", () => {
    const key = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.constant(NaN),
      fc.string({ unit: "binary", maxLength: 4 }),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.bigInt({ min: -10n, max: 10n }),
      fc.date({ noInvalidDate: false }),
      fc.constant({}),
      fc.constant([1]),
    );
    const sign = (n: number) => (n === 0 ? 0 : n < 0 ? -1 : 1);
    fc.assert(
      fc.property(key, key, key, (a, b, c) => {
        expect(sign(compareKeys(a, a))).toBe(0);
        expect(sign(compareKeys(a, b))).toBe(-sign(compareKeys(b, a)) || 0);
        if (compareKeys(a, b) <= 0 && compareKeys(b, c) <= 0) expect(compareKeys(a, c)).toBeLessThanOrEqual(0);
        if (compareKeys(a, b) === 0) expect(sign(compareKeys(a, c))).toBe(sign(compareKeys(b, c)));
      }),
      { numRuns: 3000 },
    );
    const sorted = [true, "b", null, NaN, 2, undefined, false, "a", 1n, -Infinity].sort(compareKeys);
    expect(sorted.slice(0, 6)).toEqual([-Infinity, 1n, 2, NaN, "a", "b"]);
    expect(sorted.slice(6, 8)).toEqual([false, true]);
  });
});

describe("collections a read creates are not kept", () => {
  it("a read or a remote delete of an unknown type leaves no property; a write does, an emptying delete removes it", () => {
    const store = KalphiteStore();
    for (let i = 0; i < 100; i++) void (store as unknown as Record<string, unknown>)[`probe${i}`];
    store.applyRemote([{ operation: "delete", entityType: "ghost", entityId: "x" }]);
    expect(Object.keys(store)).toEqual([]);
    const docs = store.getByType("doc");
    expect(store.getByType("doc")).toBe(docs);
    docs.upsert("a", { v: 1 });
    expect(Object.keys(store)).toEqual(["doc"]);
    expect(store.doc).toBe(docs);
    docs.delete("a");
    expect(Object.keys(store)).toEqual([]);
    expect(store.doc).toBe(docs); // the same object while the application holds it
    docs.upsert("b", { v: 2 });
    expect(store.doc!.map((d) => d.id)).toEqual(["b"]);
    expect(store.types()).toEqual(["doc"]);
  });

  it("a collection with a listener or a live view is kept while they last", () => {
    const store = KalphiteStore<Entity>();
    const off = store.getByType("a").subscribe(() => undefined);
    const view = store.getByType("b").live.where(() => true);
    expect(Object.keys(store).sort()).toEqual(["a", "b"]);
    off();
    view.dispose();
    expect(Object.keys(store)).toEqual([]);
  });

  it("a collection nobody holds is garbage-collected (a child process with --expose-gc)", () => {
    const dir = mkdtempSync(join(tmpdir(), "kalphite-gc-"));
    try {
      const script = join(dir, "gc.mts");
      writeFileSync(
        script,
        `import { KalphiteStore } from ${JSON.stringify(resolve(__dirname, "index.ts"))};
const store = KalphiteStore();
const refs: WeakRef<object>[] = [];
for (let i = 0; i < 2000; i++) refs.push(new WeakRef((store as any)["t" + i]));
store.applyRemote(Array.from({ length: 2000 }, (_, i) => ({ operation: "delete" as const, entityType: "r" + i, entityId: "x" })));
const kept = (store as any).getByType("kept");
kept.upsert("1", { v: 1 });
await new Promise((r) => setTimeout(r, 0));
(globalThis as any).gc();
await new Promise((r) => setTimeout(r, 0));
(globalThis as any).gc();
const alive = refs.filter((r) => r.deref() !== undefined).length;
console.log(JSON.stringify({ alive, kept: (store as any).kept === kept && kept.length === 1 }));
`,
      );
      const out = execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", script], { cwd: resolve(__dirname, ".."), encoding: "utf8" });
      const result = JSON.parse(out.trim().split("\n").pop()!) as { alive: number; kept: boolean };
      expect(result.kept).toBe(true);
      expect(result.alive).toBeLessThan(20);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

it("todo fixture still valid", () => {
  expect(KalphiteStore(AppSchema).todo.upsert("a", todo("a")).id).toBe("a");
});
