import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TodoError } from "./errors";
import { ID_LENGTH, MIN_SHORT_ID, newId, resolveId, shortIds } from "./ids";

describe("newId", () => {
  it("makes lower-case base32 ids without look-alike letters", () => {
    const ids = Array.from({ length: 200 }, newId);
    for (const id of ids) expect(id).toMatch(new RegExp(`^[0-9a-hjkmnp-tv-z]{${ID_LENGTH}}$`));
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("shortIds", () => {
  it("gives each id its shortest unique prefix, at least four characters", () => {
    const short = shortIds(["abcdef12", "abcdxy34", "zzzz9999", "q"]);
    expect(short.get("abcdef12")).toBe("abcde");
    expect(short.get("abcdxy34")).toBe("abcdx");
    expect(short.get("zzzz9999")).toBe("zzzz");
    expect(short.get("q")).toBe("q");
  });

  it("is unique and a prefix for any set of ids (property)", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[a-c]{1,8}$/), { maxLength: 30 }), (ids) => {
        const short = shortIds(ids);
        for (const id of ids) {
          const s = short.get(id)!;
          expect(id.startsWith(s)).toBe(true);
          expect(s.length).toBeGreaterThanOrEqual(Math.min(MIN_SHORT_ID, id.length));
          // The short id resolves back to exactly this id (unless it is a whole id that prefixes others).
          const matching = ids.filter((other) => other.startsWith(s));
          expect(matching.length === 1 || matching.includes(s)).toBe(true);
        }
      }),
    );
  });
});

describe("resolveId", () => {
  const items = [{ id: "k3f9x2m8q1ab" }, { id: "k3f0aaaaaaaa" }, { id: "m000bbbbbbbb" }];

  it("accepts a whole id or any unique prefix, in any case", () => {
    expect(resolveId(items, "m").id).toBe("m000bbbbbbbb");
    expect(resolveId(items, "K3F9").id).toBe("k3f9x2m8q1ab");
    expect(resolveId(items, "k3f0aaaaaaaa").id).toBe("k3f0aaaaaaaa");
  });

  it("names an unknown id", () => {
    expect(() => resolveId(items, "zz")).toThrow(new TodoError("NOT_FOUND", 'no todo with id "zz"'));
  });

  it("names the candidates of an ambiguous prefix", () => {
    expect(() => resolveId(items, "k3f")).toThrow(/id "k3f" is ambiguous: it matches k3f0, k3f9; type more characters/);
  });
});
