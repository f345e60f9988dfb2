import type { BaseEntity } from "@kalphite/store";
import { beforeAll, describe, expect, it } from "vitest";
import type { FlushChange, FlushTarget } from "./types";

/** What the contract suite needs from a `FlushTarget` implementation. */
export interface FlushTargetHarness {
  /** The target under test. */
  readonly target: FlushTarget;
  /** Reads the durable state of `(entityType, entityId)` back, `undefined` when absent. */
  read(entityType: string, entityId: string): Promise<BaseEntity | undefined> | BaseEntity | undefined;
}

let unique = 0;

/**
 * The `FlushTarget` contract as a vitest suite, to run against every
 * implementation (the in-memory target, the PGlite one). `setup` runs once;
 * each test uses ids of its own, so one (slow to create) database serves them
 * all. Entity types used: `"todo"` and `"note"`; entities are JSON-safe.
 *
 * Not exported from the package entry (it imports vitest); see the README.
 */
export function describeFlushTargetContract(name: string, setup: () => Promise<FlushTargetHarness> | FlushTargetHarness): void {
  describe(`FlushTarget contract: ${name}`, () => {
    let h: FlushTargetHarness;
    beforeAll(async () => {
      h = await setup();
    });
    const ids = () => {
      const prefix = `c${++unique}-`;
      return (id: string) => prefix + id;
    };
    const up = (type: string, id: string, fields: Record<string, unknown> = {}): FlushChange => ({
      operation: "upsert", entityType: type, entityId: id, entity: { id, type, ...fields } as BaseEntity, timestamp: 1,
    });
    const del = (type: string, id: string): FlushChange => ({ operation: "delete", entityType: type, entityId: id, timestamp: 2 });

    it("applies upserts, replaces on a later upsert, and removes on delete", async () => {
      const k = ids();
      await h.target([up("todo", k("a"), { title: "one", n: 1 }), up("todo", k("b"), { title: "two" })]);
      expect(await h.read("todo", k("a"))).toEqual({ id: k("a"), type: "todo", title: "one", n: 1 });
      await h.target([up("todo", k("a"), { title: "uno", tags: ["x"], nested: { ok: true } })]);
      expect(await h.read("todo", k("a"))).toEqual({ id: k("a"), type: "todo", title: "uno", tags: ["x"], nested: { ok: true } });
      await h.target([del("todo", k("b"))]);
      expect(await h.read("todo", k("b"))).toBeUndefined();
    });

    it("identity is (entityType, entityId): the same id in two types is two entities", async () => {
      const k = ids();
      await h.target([up("todo", k("1"), { v: "todo" }), up("note", k("1"), { v: "note" })]);
      await h.target([del("todo", k("1"))]);
      expect(await h.read("todo", k("1"))).toBeUndefined();
      expect(await h.read("note", k("1"))).toEqual({ id: k("1"), type: "note", v: "note" });
    });

    it("applies a batch in order and resolves on an empty batch or a delete of an absent entity", async () => {
      const k = ids();
      await h.target([up("todo", k("a"), { v: 1 }), up("todo", k("a"), { v: 2 }), del("todo", k("b")), up("todo", k("b"), { v: 3 })]);
      expect(await h.read("todo", k("a"))).toEqual({ id: k("a"), type: "todo", v: 2 });
      expect(await h.read("todo", k("b"))).toEqual({ id: k("b"), type: "todo", v: 3 });
      await expect(h.target([])).resolves.toBeUndefined();
      await expect(h.target([del("todo", k("never"))])).resolves.toBeUndefined();
    });

    it("is idempotent: a batch delivered twice (a retry after a lost answer) leaves the same state", async () => {
      const k = ids();
      const batch = [up("todo", k("a"), { v: 1 }), del("note", k("a"))];
      await h.target(batch);
      await h.target(batch);
      expect(await h.read("todo", k("a"))).toEqual({ id: k("a"), type: "todo", v: 1 });
      expect(await h.read("note", k("a"))).toBeUndefined();
    });

    it("is all or nothing: a batch with an invalid change rejects and applies nothing", async () => {
      const k = ids();
      const broken = { operation: "upsert", entityType: "todo", entityId: k("bad"), timestamp: 3 } as FlushChange; // no entity
      await expect(h.target([up("todo", k("a")), broken])).rejects.toBeDefined();
      expect(await h.read("todo", k("a"))).toBeUndefined();
    });

    it("keeps ids with quotes, spaces and non-ASCII characters apart", async () => {
      const k = ids();
      const odd = [`it's`, `a "b"`, "naïve 🚀", "a/b\\c", "%_"];
      await h.target(odd.map((id, n) => up("todo", k(id), { n })));
      for (const [n, id] of odd.entries()) expect(await h.read("todo", k(id))).toEqual({ id: k(id), type: "todo", n });
    });

    it("takes a batch of 1,000 changes", async () => {
      const k = ids();
      await h.target(Array.from({ length: 1000 }, (_, n) => up("todo", k(String(n)), { n })));
      expect(await h.read("todo", k("999"))).toEqual({ id: k("999"), type: "todo", n: 999 });
    });
  });
}
