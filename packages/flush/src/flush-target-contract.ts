import type { BaseEntity } from "@kalphite/store";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { FlushBatchContext, FlushChange, FlushTarget } from "./types";

/**
 * What the contract suite needs from one `FlushTarget` implementation: the
 * target and a view of its durable state. Created once per suite (a real
 * database is slow to open) and reset before every test.
 */
export interface FlushTargetHarness {
  readonly target: FlushTarget;
  /** Every durable entity, in any order. */
  entities(): Promise<readonly BaseEntity[]>;
  /**
   * The durable value of metadata `key` (written from `context.meta`), or
   * `undefined`/`null` when absent. Optional for compatibility: without it
   * the metadata tests are skipped (reported as skipped, not passed).
   */
  meta?(key: string): Promise<unknown>;
  /** Empties the durable state (entities and metadata). */
  reset(): Promise<void>;
  /** Releases the implementation after the suite. */
  close?(): Promise<void>;
}

type TestEntity = BaseEntity & Record<string, unknown>;

const upsert = (entity: TestEntity, batchId = "b1"): FlushChange => ({ operation: "upsert", entityType: entity.type, entityId: entity.id, entity, timestamp: Date.now(), origin: "local", batchId });
const del = (entityType: string, entityId: string, batchId = "b1"): FlushChange => ({ operation: "delete", entityType, entityId, timestamp: Date.now(), origin: "local", batchId });
/** The context of a call completing the batches its changes name (no metadata unless given). */
const contextOf = (changes: readonly FlushChange[], meta: Record<string, unknown> = {}): FlushBatchContext => ({ batchIds: [...new Set(changes.map((c) => c.batchId))], meta });
const todo = (id: string, extra: Record<string, unknown> = {}): TestEntity => ({ id, type: "todo", title: `todo ${id}`, ...extra });

const byKey = (a: BaseEntity, b: BaseEntity) => (a.type === b.type ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.type < b.type ? -1 : 1);
const sorted = (entities: readonly BaseEntity[]) => [...entities].sort(byKey);

/**
 * The `FlushTarget` contract, as a Vitest suite: every implementation (the
 * in-memory target here, the PGlite one in `@kalphite/pglite`, yours) must
 * pass it. Exported as `@kalphite/flush/testing` (it needs `vitest` and
 * `fast-check`, optional peer dependencies).
 *
 * - a call is applied whole, in order: the last change of a `(type, id)` wins;
 * - its `context.meta` is applied with its changes (all or nothing), a later call's key winning
 *   (checked when the harness gives `meta(key)`);
 * - a call with a malformed change is refused whole (nothing applied, metadata included), so a retry is safe;
 * - re-applying a batch is harmless; deleting an absent entity is not an error;
 * - identity is `(type, id)`; entities come back exactly as written.
 */
export function describeFlushTargetContract(name: string, setup: () => Promise<FlushTargetHarness> | FlushTargetHarness): void {
  describe(`FlushTarget contract: ${name}`, () => {
    let harness: FlushTargetHarness;
    const state = async () => sorted(await harness.entities());
    const call = (changes: FlushChange[], meta?: Record<string, unknown>) => harness.target(changes, contextOf(changes, meta));

    beforeAll(async () => {
      harness = await setup();
    });
    afterAll(async () => {
      await harness?.close?.();
    });
    beforeEach(async () => {
      await harness.reset();
    });

    it("applies a batch of upserts", async () => {
      await call([upsert(todo("1")), upsert(todo("2")), upsert({ id: "p", type: "project" })]);
      expect(await state()).toEqual(sorted([todo("1"), todo("2"), { id: "p", type: "project" }]));
    });

    it("resolves an empty batch and changes nothing", async () => {
      await call([upsert(todo("1"))]);
      await call([]);
      expect(await state()).toEqual([todo("1")]);
    });

    it("replaces an entity with a later upsert and removes it with a delete", async () => {
      await call([upsert(todo("1")), upsert(todo("2"))]);
      await call([upsert(todo("1", { title: "changed" })), del("todo", "2")]);
      expect(await state()).toEqual([todo("1", { title: "changed" })]);
    });

    it("treats deleting an absent entity as done", async () => {
      await expect(call([del("todo", "never-existed")])).resolves.toBeUndefined();
      expect(await state()).toEqual([]);
    });

    it("keys entities by (type, id): the same id in two types is two entities", async () => {
      await call([upsert(todo("1")), upsert({ id: "1", type: "project", name: "p" })]);
      await call([del("project", "1")]);
      expect(await state()).toEqual([todo("1")]);
    });

    it("lets the last change of a (type, id) in a batch win", async () => {
      await call([upsert(todo("gone"))]);
      await call([
        upsert(todo("a", { v: 1 })),
        upsert(todo("a", { v: 2 })),
        upsert(todo("b")),
        del("todo", "b"),
        del("todo", "gone"),
        upsert(todo("gone", { back: true })),
      ]);
      expect(await state()).toEqual(sorted([todo("a", { v: 2 }), todo("gone", { back: true })]));
    });

    it("is idempotent: applying the same batch again gives the same state", async () => {
      const batch = [upsert(todo("1")), upsert(todo("2")), del("todo", "2")];
      await call(batch);
      await call(batch);
      expect(await state()).toEqual([todo("1")]);
    });

    it("refuses a batch with a malformed change whole, applying nothing", async () => {
      await call([upsert(todo("before"))]);
      const wrongId: FlushChange = { operation: "upsert", entityType: "todo", entityId: "x", entity: todo("not-x"), timestamp: 0, origin: "local", batchId: "b9" };
      const noEntity: FlushChange = { operation: "upsert", entityType: "todo", entityId: "y", timestamp: 0, origin: "local", batchId: "b9" };
      for (const bad of [wrongId, noEntity]) {
        await expect(call([upsert(todo("new")), del("todo", "before"), bad])).rejects.toBeDefined();
      }
      expect(await state()).toEqual([todo("before")]);
    });

    it("gives entities back exactly as written", async () => {
      const entity = {
        id: "exact",
        type: "note",
        nested: { list: [1, [2, { three: 3 }]], empty: {}, none: [] },
        numbers: [0, -1, 1.5, 0.1 + 0.2, 1e21, Number.MAX_SAFE_INTEGER],
        flags: [true, false],
        nothing: null,
        unicode: "héllo — 你好 — 🎉👩‍👩‍👧 — \"q\" \\",
        large: "y".repeat(300_000),
      };
      await call([upsert(entity)]);
      expect(await state()).toEqual([entity]);
    });

    it("keeps ids with quotes, spaces, slashes and non-ASCII characters apart", async () => {
      const odd = [`it's`, `a "b"`, "naïve 🚀", "a/b\\c", "%_", " "];
      await call(odd.map((id, n) => upsert(todo(id, { n }))));
      expect(await state()).toEqual(sorted(odd.map((id, n) => todo(id, { n }))));
    });

    it("takes a batch of 1,000 changes", async () => {
      const batch = Array.from({ length: 1000 }, (_, n) => upsert(todo(String(n).padStart(4, "0"), { n })));
      await call(batch);
      const all = await state();
      expect(all).toHaveLength(1000);
      expect(all[999]).toEqual(todo("0999", { n: 999 }));
    });

    it("writes a call's metadata with its changes; a later call's key wins, other keys stay", async ({ skip }) => {
      if (harness.meta === undefined) return skip("the harness has no meta(key) reader");
      await call([upsert(todo("1"))], { cursor: 1, device: "laptop" });
      expect(await state()).toEqual([todo("1")]);
      expect(await harness.meta("cursor")).toBe(1);
      await call([upsert(todo("2"), "b2")], { cursor: { version: 2, at: "2026-01-01" } });
      expect(await harness.meta("cursor")).toEqual({ version: 2, at: "2026-01-01" });
      expect(await harness.meta("device")).toBe("laptop");
      expect(await state()).toEqual([todo("1"), todo("2")]);
      await call([del("todo", "2", "b3")], { device: undefined });
      expect((await harness.meta("device")) ?? undefined).toBeUndefined(); // undefined removes the key
      expect(await harness.meta("cursor")).toEqual({ version: 2, at: "2026-01-01" });
    });

    it("writes metadata that travels without changes", async ({ skip }) => {
      if (harness.meta === undefined) return skip("the harness has no meta(key) reader");
      await harness.target([], { batchIds: ["b7"], meta: { cursor: 7 } });
      expect(await harness.meta("cursor")).toBe(7);
      expect(await state()).toEqual([]);
    });

    it("refuses a call with a malformed change whole: neither its changes nor its metadata are applied", async ({ skip }) => {
      if (harness.meta === undefined) return skip("the harness has no meta(key) reader");
      await call([upsert(todo("before"))], { cursor: 1 });
      const wrongId: FlushChange = { operation: "upsert", entityType: "todo", entityId: "x", entity: todo("not-x"), timestamp: 0, origin: "local", batchId: "b2" };
      await expect(call([upsert(todo("new"), "b2"), wrongId], { cursor: 2, other: true })).rejects.toBeDefined();
      expect(await state()).toEqual([todo("before")]);
      expect(await harness.meta("cursor")).toBe(1);
      expect(await harness.meta("other") ?? undefined).toBeUndefined();
    });

    it("matches a model of last-change-wins over random batches (property)", async () => {
      const key = fc.record({ type: fc.constantFrom("todo", "project"), id: fc.constantFrom("1", "2", "3", "4") });
      const change = fc.oneof(
        fc.record({ op: fc.constant("upsert" as const), key, value: fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null)) }),
        fc.record({ op: fc.constant("delete" as const), key }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(fc.record({ changes: fc.array(change, { maxLength: 8 }), cursor: fc.option(fc.integer()) }), { maxLength: 4 }), async (batches) => {
          await harness.reset();
          const model = new Map<string, TestEntity>();
          let cursor: number | undefined;
          for (const [n, batch] of batches.entries()) {
            const changes = batch.changes.map((c) => {
              const k = `${c.key.type}\u0000${c.key.id}`;
              if (c.op === "delete") {
                model.delete(k);
                return del(c.key.type, c.key.id, `b${n}`);
              }
              const entity = { ...c.key, value: c.value };
              model.set(k, entity);
              return upsert(entity, `b${n}`);
            });
            if (batch.cursor !== null) cursor = batch.cursor;
            await harness.target(changes, { batchIds: [`b${n}`], meta: batch.cursor === null ? {} : { cursor: batch.cursor } });
          }
          expect(await state()).toEqual(sorted([...model.values()]));
          if (harness.meta !== undefined) expect((await harness.meta("cursor")) ?? undefined).toEqual(cursor);
        }),
        { numRuns: 30 },
      );
    });
  });
}
