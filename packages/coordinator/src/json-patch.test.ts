import fc from "fast-check";
import { enablePatches, produceWithPatches } from "immer";
import { describe, expect, it } from "vitest";
import { PatchError } from "./errors";
import { fromImmerPatches } from "./immer-patches";
import { applyPatch, applyPatchWithInverse, computeInversePatch, validatePatch, type Patch } from "./json-patch";
import { escapePointerToken, formatPointer, parsePointer } from "./json-pointer";
import { jsonObject, jsonValue, opIntent, realizePatch } from "./test-arbitraries";

enablePatches();

const failure = (fn: () => unknown): PatchError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PatchError);
    return error as PatchError;
  }
  throw new Error("expected a PatchError");
};

describe("RFC 6901 pointers", () => {
  it("escapes ~ before / and unescapes in one pass", () => {
    expect(escapePointerToken("a/b~c")).toBe("a~1b~0c");
    expect(formatPointer(["~1", "", 0])).toBe("/~01//0");
    expect(parsePointer("/~01//0")).toEqual(["~1", "", "0"]);
    expect(parsePointer("")).toEqual([]);
    expect(parsePointer("/")).toEqual([""]);
  });

  it("refuses pointers that do not start with / or carry a lone ~", () => {
    expect(parsePointer("a")).toBeUndefined();
    expect(parsePointer("/a~2")).toBeUndefined();
    expect(parsePointer("/a~")).toBeUndefined();
  });

  it("round-trips any tokens", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "binary" })), (tokens) => {
        expect(parsePointer(formatPointer(tokens))).toEqual(tokens);
      }),
    );
  });
});

describe("applyPatch: RFC 6902 operations (examples of RFC 6902 appendix A)", () => {
  const cases: [string, unknown, Patch[], unknown][] = [
    ["A.1 add an object member", { foo: "bar" }, [{ op: "add", path: "/baz", value: "qux" }], { foo: "bar", baz: "qux" }],
    ["A.2 add an array element", { foo: ["bar", "baz"] }, [{ op: "add", path: "/foo/1", value: "qux" }], { foo: ["bar", "qux", "baz"] }],
    ["A.3 remove an object member", { baz: "qux", foo: "bar" }, [{ op: "remove", path: "/baz" }], { foo: "bar" }],
    ["A.4 remove an array element", { foo: ["bar", "qux", "baz"] }, [{ op: "remove", path: "/foo/1" }], { foo: ["bar", "baz"] }],
    ["A.5 replace a value", { baz: "qux", foo: "bar" }, [{ op: "replace", path: "/baz", value: "boo" }], { baz: "boo", foo: "bar" }],
    [
      "A.6 move a value",
      { foo: { bar: "baz", waldo: "fred" }, qux: { corge: "grault" } },
      [{ op: "move", from: "/foo/waldo", path: "/qux/thud" }],
      { foo: { bar: "baz" }, qux: { corge: "grault", thud: "fred" } },
    ],
    ["A.7 move an array element", { foo: ["all", "grass", "cows", "eat"] }, [{ op: "move", from: "/foo/1", path: "/foo/3" }], { foo: ["all", "cows", "eat", "grass"] }],
    [
      "A.8 test success",
      { baz: "qux", foo: ["a", 2, "c"] },
      [{ op: "test", path: "/baz", value: "qux" }, { op: "test", path: "/foo/1", value: 2 }],
      { baz: "qux", foo: ["a", 2, "c"] },
    ],
    ["A.10 add a nested member object", { foo: "bar" }, [{ op: "add", path: "/child", value: { grandchild: {} } }], { foo: "bar", child: { grandchild: {} } }],
    ["A.11 ignore unrecognised members", { foo: "bar" }, [{ op: "add", path: "/baz", value: "qux", xyz: 123 } as Patch], { foo: "bar", baz: "qux" }],
    ["A.14 ~ escape ordering", { "/": 9, "~1": 10 }, [{ op: "test", path: "/~01", value: 10 }], { "/": 9, "~1": 10 }],
    ["A.16 add an array value", { foo: ["bar"] }, [{ op: "add", path: "/foo/-", value: ["abc", "def"] }], { foo: ["bar", ["abc", "def"]] }],
    ["add replaces an existing member", { a: 1 }, [{ op: "add", path: "/a", value: 2 }], { a: 2 }],
    ["add at the root replaces the document", { a: 1 }, [{ op: "add", path: "", value: [1] }], [1]],
    ["replace the root", [1, 2], [{ op: "replace", path: "", value: { b: 1 } }], { b: 1 }],
    ["copy is by value", { a: { b: 1 } }, [{ op: "copy", from: "/a", path: "/c" }, { op: "replace", path: "/c/b", value: 2 }], { a: { b: 1 }, c: { b: 2 } }],
    ["move to itself is a no-op", { a: 1 }, [{ op: "move", from: "/a", path: "/a" }], { a: 1 }],
    ["test compares objects regardless of key order", { a: { x: 1, y: [1, { z: null }] } }, [{ op: "test", path: "/a", value: { y: [1, { z: null }], x: 1 } }], { a: { x: 1, y: [1, { z: null }] } }],
    ["the empty key and the key __proto__ are ordinary members", {}, [{ op: "add", path: "/", value: 1 }, { op: "add", path: "/__proto__", value: { polluted: true } }], JSON.parse('{"":1,"__proto__":{"polluted":true}}')],
  ];
  it.each(cases)("%s", (_name, document, patch, expected) => {
    const before = JSON.stringify(document);
    const result = applyPatch(document, patch);
    expect(result).toEqual(expected);
    expect(JSON.stringify(document)).toBe(before);
  });

  it("keeps __proto__ an own property, never the prototype", () => {
    const result = applyPatch<Record<string, unknown>>({}, [{ op: "add", path: "/__proto__", value: { polluted: true } }]);
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.keys(result)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("shares untouched parts with the input", () => {
    const document = { a: { deep: [1] }, b: { c: 1 } };
    const result = applyPatch(document, [{ op: "replace", path: "/b/c", value: 2 }]);
    expect(result.a).toBe(document.a);
    expect(result.b).not.toBe(document.b);
  });

  it("does not change the patch's own values when later operations edit what an add inserted", () => {
    const value = { n: 1 };
    const patch: Patch[] = [{ op: "add", path: "/x", value }, { op: "replace", path: "/x/n", value: 2 }, { op: "add", path: "/y", value }];
    expect(applyPatch({}, patch)).toEqual({ x: { n: 2 }, y: { n: 1 } });
    expect(value).toEqual({ n: 1 });
  });
});

describe("applyPatch: errors", () => {
  it("A.9 a failed test throws PATCH_TEST_FAILED and returns nothing", () => {
    const document = { baz: "qux" };
    const error = failure(() => applyPatch(document, [{ op: "replace", path: "/baz", value: "x" }, { op: "test", path: "/baz", value: "bar" }]));
    expect(error.code).toBe("PATCH_TEST_FAILED");
    expect(error.operationIndex).toBe(1);
    expect(error.message).toMatch(/test failed at "\/baz"/);
    expect(document).toEqual({ baz: "qux" });
  });

  it("A.12 adding to a nonexistent target is a conflict", () => {
    expect(failure(() => applyPatch({ foo: "bar" }, [{ op: "add", path: "/baz/bat", value: "qux" }])).code).toBe("PATCH_CONFLICT");
  });

  it("A.15 a string index does not equal a number", () => {
    expect(failure(() => applyPatch({ "/": 9, "~1": 10 }, [{ op: "test", path: "/~01", value: "10" }])).code).toBe("PATCH_TEST_FAILED");
  });

  const conflicts: [string, unknown, Patch][] = [
    ["remove a missing member", { a: 1 }, { op: "remove", path: "/b" }],
    ["replace a missing member", { a: 1 }, { op: "replace", path: "/b", value: 1 }],
    ["add past the end of an array", { a: [1] }, { op: "add", path: "/a/2", value: 1 }],
    ["remove past the end", { a: [1] }, { op: "remove", path: "/a/1" }],
    ["index with a leading zero", { a: [1, 2] }, { op: "replace", path: "/a/01", value: 1 }],
    ["a non-numeric array index", { a: [1] }, { op: "remove", path: "/a/x" }],
    ["- outside add", { a: [1] }, { op: "remove", path: "/a/-" }],
    ["a path through a primitive", { a: 1 }, { op: "add", path: "/a/b", value: 1 }],
    ["remove the root", { a: 1 }, { op: "remove", path: "" }],
    ["move from a missing path", { a: 1 }, { op: "move", from: "/b", path: "/c" }],
    ["copy from a missing path", { a: 1 }, { op: "copy", from: "/b", path: "/c" }],
    ["test a missing path", { a: 1 }, { op: "test", path: "/b", value: 1 }],
    ["add into a primitive document", 5, { op: "add", path: "/a", value: 1 }],
  ];
  it.each(conflicts)("%s is a PATCH_CONFLICT", (_name, document, op) => {
    expect(failure(() => applyPatch(document, [op])).code).toBe("PATCH_CONFLICT");
  });

  const invalid: [string, unknown][] = [
    ["a patch that is not an array", { op: "add", path: "/a", value: 1 }],
    ["an operation that is not an object", [1]],
    ["an unknown op", [{ op: "merge", path: "/a", value: 1 }]],
    ["a missing path", [{ op: "remove" }]],
    ["a pointer without a leading /", [{ op: "remove", path: "a" }]],
    ["a lone ~", [{ op: "remove", path: "/a~2" }]],
    ["add without value", [{ op: "add", path: "/a" }]],
    ["replace with undefined", [{ op: "replace", path: "/a", value: undefined }]],
    ["test with a function", [{ op: "test", path: "/a", value: () => 1 }]],
    ["move without from", [{ op: "move", path: "/a" }]],
    ["copy with a bad from", [{ op: "copy", from: "x", path: "/a" }]],
    ["move into its own child", [{ op: "move", from: "/a", path: "/a/b" }]],
  ];
  it.each(invalid)("%s is INVALID_PATCH (validatePatch and applyPatch agree)", (_name, patch) => {
    expect(failure(() => applyPatch({ a: { b: 1 } }, patch as Patch[])).code).toBe("INVALID_PATCH");
    expect(failure(() => validatePatch(patch)).code).toBe("INVALID_PATCH");
  });

  it("validatePatch accepts a well-formed patch", () => {
    expect(() => validatePatch([{ op: "move", from: "/a", path: "/ab" }, { op: "test", path: "", value: null }])).not.toThrow();
  });
});

describe("inverse patches", () => {
  it("inverts every operation", () => {
    const document = { a: [1, 2, 3], o: { k: "v" }, s: "x" };
    const patch: Patch[] = [
      { op: "add", path: "/a/-", value: 4 },
      { op: "add", path: "/o/k", value: "w" },
      { op: "remove", path: "/a/0" },
      { op: "replace", path: "/s", value: { t: 1 } },
      { op: "move", from: "/o/k", path: "/a/1" },
      { op: "copy", from: "/a", path: "/b" },
      { op: "test", path: "/b/0", value: 2 },
    ];
    const { document: after, inverse } = applyPatchWithInverse(document, patch);
    expect(after).toEqual({ a: [2, "w", 3, 4], o: {}, s: { t: 1 }, b: [2, "w", 3, 4] });
    expect(applyPatch(after, inverse)).toEqual(document);
    expect(computeInversePatch(document, patch)).toEqual(inverse);
  });

  it("an array add at - is undone at its resolved index", () => {
    expect(computeInversePatch({ a: [1] }, [{ op: "add", path: "/a/-", value: 2 }])).toEqual([{ op: "remove", path: "/a/1" }]);
  });

  it("a moved container edited later is restored as it was when moved", () => {
    const document = { a: { n: 1 }, b: {} };
    const patch: Patch[] = [
      { op: "replace", path: "/a/n", value: 2 },
      { op: "move", from: "/a", path: "/b/a" },
      { op: "replace", path: "/b/a/n", value: 3 },
    ];
    const { document: after, inverse } = applyPatchWithInverse(document, patch);
    expect(after).toEqual({ b: { a: { n: 3 } } });
    expect(applyPatch(after, inverse)).toEqual(document);
  });

  it("property: apply(apply(d, p), inverse(d, p)) equals d (key order aside, as in JSON), and d is never changed", () => {
    fc.assert(
      fc.property(jsonValue, fc.array(opIntent, { maxLength: 8 }), (document, intents) => {
        const patch = realizePatch(document, intents);
        const before = JSON.stringify(document);
        const { document: after, inverse } = applyPatchWithInverse(document, patch);
        expect(applyPatch(document, patch)).toEqual(after);
        expect(JSON.stringify(document)).toBe(before);
        validatePatch(inverse);
        const restored = applyPatch(after, inverse);
        expect(restored).toEqual(document);
        // The inverse of the inverse brings the patched document back too.
        expect(applyPatch(restored, computeInversePatch(after, inverse))).toEqual(after);
      }),
      { numRuns: 400 },
    );
  });

  it("property: object documents with binary keys; a patch split in two gives the same result", () => {
    fc.assert(
      fc.property(jsonObject, fc.array(opIntent, { maxLength: 10 }), fc.nat(), (document, intents, cut) => {
        const patch = realizePatch(document, intents);
        const k = patch.length === 0 ? 0 : cut % patch.length;
        expect(applyPatch(applyPatch(document, patch.slice(0, k)), patch.slice(k))).toEqual(applyPatch(document, patch));
      }),
      { numRuns: 300 },
    );
  });
});

describe("fromImmerPatches", () => {
  it("converts array paths to escaped pointers that apply like immer's own result", () => {
    const base = { todos: [{ title: "a", done: false }], "a/b": { "~": 1 } as Record<string, number> };
    const [next, patches, inverse] = produceWithPatches(base, (draft) => {
      draft.todos[0]!.done = true;
      draft.todos.push({ title: "b", done: false });
      draft["a/b"]["~"] = 2;
      delete draft["a/b"]["~"];
      draft["a/b"]["x/y"] = 3;
    });
    const converted = fromImmerPatches(patches);
    expect(converted.map((p) => p.path)).toContain("/a~1b/x~1y");
    expect(applyPatch(base, converted)).toEqual(next);
    expect(applyPatch(next, fromImmerPatches(inverse))).toEqual(base);
  });

  it("handles array shrinking and a prefix", () => {
    const base = { list: [1, 2, 3, 4] };
    const [next, patches, inverse] = produceWithPatches(base, (draft) => {
      draft.list.splice(1, 2);
    });
    const doc = { todo: { t1: base } };
    expect(applyPatch(doc, fromImmerPatches(patches, ["todo", "t1"]))).toEqual({ todo: { t1: next } });
    expect(applyPatch({ todo: { t1: next } }, fromImmerPatches(inverse, ["todo", "t1"]))).toEqual(doc);
  });

  it("converts a root replacement and refuses what JSON Patch cannot say", () => {
    const [, patches] = produceWithPatches({ a: 1 } as unknown, () => ({ b: 2 }));
    expect(fromImmerPatches(patches)).toEqual([{ op: "replace", path: "", value: { b: 2 } }]);
    expect(() => fromImmerPatches([{ op: "replace", path: [{}] as never, value: 1 }])).toThrow(/no JSON Pointer form/);
    expect(() => fromImmerPatches([{ op: "replace", path: ["a"], value: undefined }])).toThrow(/undefined/);
  });
});
