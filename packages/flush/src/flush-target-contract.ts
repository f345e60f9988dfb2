import type { BaseEntity } from "@kalphite/store";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { FlushChange, FlushTarget } from "./types";

/**
 * What the contract suite needs from one `FlushTarget` implementation: the
 * target and a view of its durable state. Created once per suite (a real
 * database is slow to open) and reset before every test.
 */
export interface FlushTargetHarness {
  readonly target: FlushTarget;
  /** Every durable entity, in any order. */
  entities(): Promise<readonly BaseEntity[]>;
  /** Empties the durable state. */
  reset(): Promise<void>;
  /** Releases the implementation after the suite. */
  close?(): Promise<void>;
}

type TestEntity = BaseEntity & Record<string, unknown>;

const upsert = (entity: TestEntity): FlushChange => ({ operation: "upsert", entityType: entity.type, entityId: entity.id, entity, timestamp: Date.now() });
const del = (entityType: string, entityId: string): FlushChange => ({ operation: "delete", entityType, entityId, timestamp: Date.now() });
const todo = (id: string, extra: Record<string, unknown> = {}): TestEntity => ({ id, type: "todo", title: `todo ${id}`, ...extra });

const byKey = (a: BaseEntity, b: BaseEntity) => (a.type === b.type ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.type < b.type ? -1 : 1);
const sorted = (entities: readonly BaseEntity[]) => [...entities].sort(byKey);

/**
 * The `FlushTarget` contract, as a Vitest suite: every implementation (the
 * in-memory target here, the PGlite one in `@kalphite/pglite`, yours) must
 * pass it. Exported as `@kalphite/flush/testing` (it needs `vitest` and
 * `fast-check`, optional peer dependencies).
 *
 * - a batch is applied whole, in order: the last change of a `(type, id)` wins;
 * - a batch with a malformed change is refused whole (nothing applied), so a retry is safe;
 * - re-applying a batch is harmless; deleting an absent entity is not an error;
 * - identity is `(type, id)`; entities come back exactly as written.
 */
export function describeFlushTargetContract(name: string, setup: () => Promise<FlushTargetHarness> | FlushTargetHarness): void {
  describe(`FlushTarget contract: ${name}`, () => {
    let harness: FlushTargetHarness;
    const state = async () => sorted(await harness.entities());

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
      await harness.target([upsert(todo("1")), upsert(todo("2")), upsert({ id: "p", type: "project" })]);
      expect(await state()).toEqual(sorted([todo("1"), todo("2"), { id: "p", type: "project" }]));
    });

    it("resolves an empty batch and changes nothing", async () => {
      await harness.target([upsert(todo("1"))]);
      await harness.target([]);
      expect(await state()).toEqual([todo("1")]);
    });

    it("replaces an entity with a later upsert and removes it with a delete", async () => {
      await harness.target([upsert(todo("1")), upsert(todo("2"))]);
      await harness.target([upsert(todo("1", { title: "changed" })), del("todo", "2")]);
      expect(await state()).toEqual([todo("1", { title: "changed" })]);
    });

    it("treats deleting an absent entity as done", async () => {
      await expect(harness.target([del("todo", "never-existed")])).resolves.toBeUndefined();
      expect(await state()).toEqual([]);
    });

    it("keys entities by (type, id): the same id in two types is two entities", async () => {
      await harness.target([upsert(todo("1")), upsert({ id: "1", type: "project", name: "p" })]);
      await harness.target([del("project", "1")]);
      expect(await state()).toEqual([todo("1")]);
    });

    it("lets the last change of a (type, id) in a batch win", async () => {
      await harness.target([upsert(todo("gone"))]);
      await harness.target([
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
      await harness.target(batch);
      await harness.target(batch);
      expect(await state()).toEqual([todo("1")]);
    });

    it("refuses a batch with a malformed change whole, applying nothing", async () => {
      await harness.target([upsert(todo("before"))]);
      const wrongId: FlushChange = { operation: "upsert", entityType: "todo", entityId: "x", entity: todo("not-x"), timestamp: 0 };
      const noEntity: FlushChange = { operation: "upsert", entityType: "todo", entityId: "y", timestamp: 0 };
      for (const bad of [wrongId, noEntity]) {
        await expect(harness.target([upsert(todo("new")), del("todo", "before"), bad])).rejects.toBeDefined();
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
      await harness.target([upsert(entity)]);
      expect(await state()).toEqual([entity]);
    });

    it("keeps ids with quotes, spaces, slashes and non-ASCII characters apart", async () => {
      const odd = [`it's`, `a "b"`, "naïve 🚀", "a/b\\c", "%_", " "];
      await harness.target(odd.map((id, n) => upsert(todo(id, { n }))));
      expect(await state()).toEqual(sorted(odd.map((id, n) => todo(id, { n }))));
    });

    it("takes a batch of 1,000 changes", async () => {
      const batch = Array.from({ length: 1000 }, (_, n) => upsert(todo(String(n).padStart(4, "0"), { n })));
      await harness.target(batch);
      const all = await state();
      expect(all).toHaveLength(1000);
      expect(all[999]).toEqual(todo("0999", { n: 999 }));
    });

    it("matches a model of last-change-wins over random batches (property)", async () => {
      const key = fc.record({ type: fc.constantFrom("todo", "project"), id: fc.constantFrom("1", "2", "3", "4") });
      const change = fc.oneof(
        fc.record({ op: fc.constant("upsert" as const), key, value: fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null)) }),
        fc.record({ op: fc.constant("delete" as const), key }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(change, { maxLength: 8 }), { maxLength: 4 }), async (batches) => {
          await harness.reset();
          const model = new Map<string, TestEntity>();
          for (const batch of batches) {
            const changes = batch.map((c) => {
              const k = `${c.key.type}\u0000${c.key.id}`;
              if (c.op === "delete") {
                model.delete(k);
                return del(c.key.type, c.key.id);
              }
              const entity = { ...c.key, value: c.value };
              model.set(k, entity);
              return upsert(entity);
            });
            await harness.target(changes);
          }
          expect(await state()).toEqual(sorted([...model.values()]));
        }),
        { numRuns: 30 },
      );
    });
  });
}
