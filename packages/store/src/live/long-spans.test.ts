import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KalphiteStore } from "../store";

type Row = { id: string; type: "row"; rank: number; keep: boolean };

// Views shift elements with native splice over long spans and a loop over
// short ones; collections of hundreds of rows make both paths run.
describe("live views over long spans", () => {
  it("a filtered, sorted, windowed view equals the recomputed query after random moves", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 399 }), fc.integer({ min: 0, max: 1000 }), fc.boolean(), fc.boolean()), { minLength: 50, maxLength: 300 }),
        (ops) => {
          const store = KalphiteStore<Row>(undefined, { freeze: false });
          const rows = store.getByType("row");
          rows.upsertMany(Array.from({ length: 400 }, (_, i) => ({ id: `r${String(i).padStart(3, "0")}`, type: "row" as const, rank: (i * 7919) % 1000, keep: i % 3 !== 0 })));
          const sorted = rows.live.where((r) => r.keep).orderBy("rank", "desc");
          const window = sorted.offset(40).limit(100);
          for (const [n, rank, keep, remove] of ops) {
            const id = `r${String(n).padStart(3, "0")}`;
            if (remove) rows.delete(id);
            else rows.upsert(id, { id, type: "row", rank, keep });
            const expected = rows
              .filter((r) => r.keep)
              .sort((a, b) => b.rank - a.rank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
            expect([...sorted].map((r) => r.id)).toEqual(expected.map((r) => r.id));
            expect([...window].map((r) => r.id)).toEqual(expected.slice(40, 140).map((r) => r.id));
          }
          window.dispose();
        },
      ),
      { numRuns: 25 },
    );
  });
});
