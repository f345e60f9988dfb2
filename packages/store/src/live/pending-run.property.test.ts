import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { compareIds, SortOrder } from "./order";
import { PendingRun, pendingTuning } from "./pending-run";

interface Row {
  readonly id: string;
  readonly type: "row";
  readonly v: number;
}

type Op = { kind: "insert"; id: string; v: number } | { kind: "remove"; pick: number } | { kind: "rekey"; pick: number; v: number };

const order = new SortOrder<Row>((r) => r.v, false);
const sortsBefore = (a: Row, b: Row) => (order.compare(a.v, b.v) || compareIds(a.id, b.id)) < 0;

/** Everything in the run, in order, walked with `first` / `after`. */
function walk(run: PendingRun<Row>): Row[] {
  const out: Row[] = [];
  for (let loc = run.first(); loc >= 0; loc = run.after(loc)) {
    expect(run.key(loc)).toBe(run.entity(loc).v);
    out.push(run.entity(loc));
  }
  return out;
}

const saved = pendingTuning.maxChunk;
afterEach(() => {
  pendingTuning.maxChunk = saved;
});

describe("PendingRun (the chunked sorted run of a view's pending entries)", () => {
  it("stays equal to a sorted array under inserts, removes and in-place key changes, at any chunk size", () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 3, arbitrary: fc.record({ kind: fc.constant("insert" as const), id: fc.string({ unit: "binary", maxLength: 4 }), v: fc.integer({ min: -3, max: 3 }) }) },
      fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant("rekey" as const), pick: fc.nat(), v: fc.integer({ min: -3, max: 3 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 9 }), fc.array(op, { maxLength: 300 }), (chunk, ops) => {
        pendingTuning.maxChunk = chunk;
        const run = new PendingRun<Row>(order);
        let model: Row[] = [];
        for (const o of ops) {
          if (o.kind === "insert") {
            if (run.ids.has(o.id)) continue; // one entry per id, as in a view
            const row: Row = { id: o.id, type: "row", v: o.v };
            const loc = run.bound(row.v, row.id);
            const at = model.findIndex((r) => !sortsBefore(r, row));
            if (at < 0) expect(loc).toBe(PendingRun.END);
            else expect(run.entity(loc)).toBe(model[at]);
            // Its neighbours once inserted: `before` the bound is the last one that sorts first.
            const left = run.before(loc);
            if (at === 0 || model.length === 0) expect(left).toBe(-1);
            else expect(run.entity(left)).toBe(model[(at < 0 ? model.length : at) - 1]);
            run.insert(loc, row, row.v);
            model.splice(at < 0 ? model.length : at, 0, row);
          } else if (model.length > 0) {
            const victim = model[o.pick % model.length]!;
            const loc = run.locate(victim, victim.v);
            expect(run.entity(loc)).toBe(victim);
            if (o.kind === "remove") {
              expect(run.remove(loc)).toBe(victim);
              model = model.filter((r) => r !== victim);
            } else {
              // A new key that keeps its place among its neighbours (what `replacePendingKey` is for).
              const i = model.indexOf(victim);
              const next: Row = { ...victim, v: o.v };
              if ((i > 0 && !sortsBefore(model[i - 1]!, next)) || (i < model.length - 1 && !sortsBefore(next, model[i + 1]!))) continue;
              run.set(loc, next, next.v);
              model[i] = next;
            }
          }
          expect(run.length).toBe(model.length);
          expect(walk(run)).toEqual(model);
          expect([...run.ids].sort()).toEqual(model.map((r) => r.id).sort());
        }
        expect(run.flatten()).toEqual({ ents: model, keys: model.map((r) => r.v) });
        // An entity that is not there is not found.
        expect(run.locate({ id: "\u{10FFFF}absent", type: "row", v: 0 }, 0)).toBe(PendingRun.END);
      }),
      { numRuns: 300 },
    );
  });
});
