import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KalphiteStore } from "../index";
import { compareKeys } from "../sort-keys";

/**
 * Searches on numeric keys start with interpolation (a guess, a probe just
 * beyond it, rounds from narrowed ends) before the binary search. Whatever
 * the key distribution — dense clusters at either end, duplicates, huge and
 * tiny magnitudes, -0, ±Infinity, NaN, keys of other types mixed in — a view
 * ordered by such keys equals its recomputation after every change.
 */

interface Row {
  readonly id: string;
  readonly type: "row";
  readonly k: unknown;
}

/** Finite numbers: spread, a dense cluster at the top, duplicates, any double. */
const numeric = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 1_000_000_000 }) },
  { weight: 4, arbitrary: fc.integer({ min: 2_000_000_000, max: 2_000_000_020 }) }, // a dense cluster at the top
  { weight: 2, arbitrary: fc.integer({ min: -3, max: 3 }) }, // duplicates
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
/** The same with extremes and keys of other kinds mixed in (these sit at the ends and switch interpolation off). */
const mixed = fc.oneof(
  { weight: 10, arbitrary: numeric },
  fc.constantFrom(-0, 0, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE),
  // Stored as JSON, turned into ±Infinity / NaN by the key function; other types mixed in.
  fc.constantFrom("inf", "-inf", "nan", "s", "", null, true),
);

/** The sort key: the stored value, with the strings standing for the numbers JSON cannot hold. */
const keyOf = (r: Row): unknown => (r.k === "inf" ? Infinity : r.k === "-inf" ? -Infinity : r.k === "nan" ? NaN : r.k);

const byK = (desc: boolean) => (a: Row, b: Row) => (desc ? -1 : 1) * compareKeys(keyOf(a), keyOf(b)) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

describe("views ordered by numeric keys of any distribution", () => {
  it("equal their recomputation after every write (sizes past the interpolation threshold)", () => {
    fc.assert(
      fc.property(
        fc.boolean().chain((onlyNumbers) => {
          const key = onlyNumbers ? numeric : mixed;
          return fc.tuple(
            fc.array(key, { minLength: 0, maxLength: 600, size: "max" }),
            fc.array(fc.record({ pick: fc.nat(), k: key, del: fc.boolean(), read: fc.boolean() }), { maxLength: 120, size: "max" }),
          );
        }),
        fc.boolean(),
        fc.boolean(),
        ([initial, writes], desc, windowed) => {
          const store = KalphiteStore<Row>(undefined, { freeze: false });
          store.row.upsertMany(initial.map((k, i) => ({ id: `r${String(i).padStart(5, "0")}`, type: "row" as const, k })));
          const view = store.row.live.orderBy(keyOf, desc ? "desc" : "asc");
          // A window reads its upstream by index: the view then places every change at once (no deferred
          // entries), so each search's answer is used as it is.
          const top = windowed ? view.limit(30) : undefined;
          const open = store.row.live.where((r) => typeof r.k === "number" && r.k === r.k && (r.k as number) % 2 === 0);
          let next = initial.length;
          for (const w of writes) {
            const rows = [...store.row];
            const target = rows.length > 0 && w.pick % 3 !== 0 ? rows[w.pick % rows.length]! : { id: `n${next++}`, type: "row" as const, k: 0 };
            if (w.del && store.row.findById(target.id)) store.row.delete(target.id);
            else store.row.upsert(target.id, { ...target, k: w.k });
            if (w.read) {
              expect(view.map((r) => r.id)).toEqual([...store.row].sort(byK(desc)).map((r) => r.id));
              expect(open.map((r) => r.id)).toEqual([...store.row].filter((r) => typeof r.k === "number" && r.k === r.k && (r.k as number) % 2 === 0).map((r) => r.id));
            }
          }
          expect(view.map((r) => r.id)).toEqual([...store.row].sort(byK(desc)).map((r) => r.id));
          if (top) expect(top.map((r) => r.id)).toEqual([...store.row].sort(byK(desc)).slice(0, 30).map((r) => r.id));
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});
