import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { VectorClock } from "./types";
import { compareClocks, dominates, incrementClock, mergeClocks } from "./vector-clock";

const replica = fc.constantFrom("a", "b", "c", "d", "é", "🙂");
const clock: fc.Arbitrary<VectorClock> = fc.dictionary(replica, fc.nat({ max: 6 }));
/** Clocks are equal when they agree on every replica (a missing entry is 0). */
const same = (x: VectorClock, y: VectorClock) => compareClocks(x, y) === "equal";

describe("vector clocks: the laws", () => {
  it("the order is reflexive", () => {
    fc.assert(fc.property(clock, (a) => compareClocks(a, a) === "equal" && dominates(a, a)));
  });

  it("the order is antisymmetric: a ≤ b and b ≤ a means a = b", () => {
    fc.assert(
      fc.property(clock, clock, (a, b) => {
        if (dominates(b, a) && dominates(a, b)) expect(same(a, b)).toBe(true);
      }),
    );
  });

  it("the order is transitive", () => {
    fc.assert(
      fc.property(clock, clock, clock, (a, x, y) => {
        const b = mergeClocks(a, x);
        const c = mergeClocks(b, y);
        expect(dominates(b, a)).toBe(true);
        expect(dominates(c, b)).toBe(true);
        expect(dominates(c, a)).toBe(true);
      }),
    );
  });

  it("compare is consistent both ways (before ⇔ after, concurrent is symmetric)", () => {
    const flip = { before: "after", after: "before", equal: "equal", concurrent: "concurrent" } as const;
    fc.assert(fc.property(clock, clock, (a, b) => compareClocks(b, a) === flip[compareClocks(a, b)]));
  });

  it("merge is commutative, associative and idempotent", () => {
    fc.assert(
      fc.property(clock, clock, clock, (a, b, c) => {
        expect(mergeClocks(a, b)).toEqual(mergeClocks(b, a));
        expect(mergeClocks(mergeClocks(a, b), c)).toEqual(mergeClocks(a, mergeClocks(b, c)));
        expect(same(mergeClocks(a, a), a)).toBe(true);
      }),
    );
  });

  it("merge is the least upper bound", () => {
    fc.assert(
      fc.property(clock, clock, clock, (a, b, c) => {
        const m = mergeClocks(a, b);
        expect(dominates(m, a) && dominates(m, b)).toBe(true);
        if (dominates(c, a) && dominates(c, b)) expect(dominates(c, m)).toBe(true);
      }),
    );
  });

  it("an increment is strictly after, and concurrent increments of two replicas are concurrent", () => {
    fc.assert(
      fc.property(clock, replica, replica, (a, r1, r2) => {
        expect(compareClocks(incrementClock(a, r1), a)).toBe("after");
        if (r1 !== r2) expect(compareClocks(incrementClock(a, r1), incrementClock(a, r2))).toBe("concurrent");
      }),
    );
  });
});
