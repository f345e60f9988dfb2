import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KalphiteError, KalphiteStore } from "../index";
import type { ChangeSink, Entity } from "../index";

/**
 * The collection (sequence numbers, tombstones, lazy compaction, rollback)
 * against a plain model: an array in insertion order. Sizes and runs of
 * deletes cross the compaction threshold (1,024 tombstones and a quarter of
 * the array), deletes hit both ends and the middle, and reads come at random
 * points (or not at all between many deletes).
 */

type Op =
  | { kind: "insert"; count: number }
  | { kind: "replace"; at: number }
  | { kind: "delete"; picks: number[]; read: boolean }
  | { kind: "deleteEnds"; count: number; front: boolean }
  | { kind: "deleteMany"; picks: number[] }
  | { kind: "undo"; picks: number[]; inserts: number }
  | { kind: "refused"; picks: number[] }
  | { kind: "read" };

const pick = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("insert" as const), count: fc.integer({ min: 1, max: 1500 }) }) },
  fc.record({ kind: fc.constant("replace" as const), at: pick }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("delete" as const), picks: fc.array(pick, { minLength: 1, maxLength: 1400 }), read: fc.boolean() }) },
  fc.record({ kind: fc.constant("deleteEnds" as const), count: fc.integer({ min: 1, max: 50 }), front: fc.boolean() }),
  fc.record({ kind: fc.constant("deleteMany" as const), picks: fc.array(pick, { maxLength: 300 }) }),
  fc.record({ kind: fc.constant("undo" as const), picks: fc.array(pick, { maxLength: 1200 }), inserts: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ kind: fc.constant("refused" as const), picks: fc.array(pick, { maxLength: 600 }) }),
  fc.record({ kind: fc.constant("read" as const) }),
);

describe("collection state, as a property", () => {
  it("matches an insertion-ordered model through deletes, rollbacks and lazy compaction", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), fc.array(op, { minLength: 1, maxLength: 12 }), (initial, ops) => {
        const control = { refuse: false };
        const sink: ChangeSink = {
          scheduleFlush: () => undefined,
          scheduleDelete: () => undefined,
          scheduleBatch: () => {
            if (control.refuse) throw new KalphiteError("QUEUE_FULL", "refused");
          },
        };
        const store = KalphiteStore<Entity>(undefined, { sink, freeze: false });
        const items = store.getByType("item");
        const open = items.live.where((e) => (e.v as number) % 2 === 0);
        const sorted = items.live.orderBy("v", "desc");
        let next = 0;
        let model: Entity[] = [];
        const make = () => ({ id: `i${next}`, type: "item", v: next++ % 7 }) as Entity;
        const add = (count: number) => {
          const batch = Array.from({ length: count }, make);
          items.upsertMany(batch);
          model.push(...batch);
        };
        const chosen = (picks: number[]) => [...new Set(picks.map((p) => model[Math.floor(p * model.length)]?.id).filter((id): id is string => id !== undefined))];
        const check = () => {
          expect(items.length).toBe(model.length);
          expect(items.map((e) => e.id)).toEqual(model.map((e) => e.id));
          for (const e of model.slice(0, 5).concat(model.slice(-5))) expect(items.findById(e.id)).toBe(e);
          expect(open.map((e) => e.id)).toEqual(model.filter((e) => (e.v as number) % 2 === 0).map((e) => e.id));
          expect(sorted.map((e) => e.v)).toEqual(model.map((e) => e.v as number).sort((a, b) => b - a));
        };
        add(initial);
        for (const o of ops) {
          switch (o.kind) {
            case "insert":
              add(o.count);
              break;
            case "replace": {
              const target = model[Math.floor(o.at * model.length)];
              if (target === undefined) break;
              const replaced = { ...target, v: (target.v as number) + 1 };
              items.upsert(target.id, replaced);
              model = model.map((e) => (e.id === target.id ? replaced : e));
              break;
            }
            case "delete":
              for (const id of chosen(o.picks)) {
                expect(items.delete(id)).toBe(true);
                model = model.filter((e) => e.id !== id);
                if (o.read && id.length % 5 === 0) expect(items.length).toBe(model.length);
              }
              break;
            case "deleteEnds":
              for (let k = 0; k < o.count && model.length > 0; k++) {
                const victim = o.front ? model.shift()! : model.pop()!;
                expect(o.front ? items.shift() : items.pop()).toBe(victim);
              }
              break;
            case "deleteMany": {
              const ids = chosen(o.picks);
              expect(items.deleteMany(ids)).toBe(ids.length);
              const gone = new Set(ids);
              model = model.filter((e) => !gone.has(e.id));
              break;
            }
            case "undo": {
              const ids = chosen(o.picks);
              expect(() =>
                store.transaction(() => {
                  for (const id of ids) items.delete(id);
                  for (let k = 0; k < o.inserts; k++) items.upsert(`u${k}`, { v: k });
                  if (ids.length % 2 === 0) void items.length; // sometimes compact inside
                  throw new Error("undo");
                }),
              ).toThrow("undo");
              break;
            }
            case "refused": {
              const ids = chosen(o.picks);
              if (ids.length === 0) break; // an empty batch is not sent
              control.refuse = true;
              expect(() => store.batch(() => ids.forEach((id) => items.delete(id)))).toThrow("refused");
              control.refuse = false;
              break;
            }
            case "read":
              check();
              break;
          }
        }
        check();
      }),
      { numRuns: 60 },
    );
  });

  it("reads of every kind see a collection with pending tombstones as current", () => {
    const store = KalphiteStore<Entity>();
    const items = store.getByType("item");
    items.upsertMany(Array.from({ length: 50 }, (_, i) => ({ id: `i${i}`, type: "item", v: i }) as Entity));
    const reads: [string, () => unknown, unknown][] = [
      ["length", () => items.length, 47],
      ["index", () => items[0]!.id, "i1"],
      ["in", () => "46" in items, true],
      ["keys", () => Object.keys(items).length, 47],
      ["spread", () => [...items].length, 47],
      ["json", () => (JSON.parse(JSON.stringify(items)) as unknown[]).length, 47],
      ["at", () => items.at(-1)!.id, "i48"],
      ["descriptor", () => Object.getOwnPropertyDescriptor(items, "46") !== undefined, true],
    ];
    for (const [name, read, expected] of reads) {
      items.upsertMany([{ id: "i0", type: "item", v: 0 } as Entity, { id: "i10", type: "item", v: 10 } as Entity, { id: "i49", type: "item", v: 49 } as Entity]);
      // i0, i10 and i49 were re-added at the end; delete them again plus move on.
      items.delete("i0");
      items.delete("i10");
      items.delete("i49");
      expect([name, read()]).toEqual([name, expected]);
    }
  });
});
