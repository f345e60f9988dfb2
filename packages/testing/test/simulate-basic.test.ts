import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SimulationFailure, simulate, TestingError } from "@kalphite/testing";

type Tx = {
  get(type: string, id: string): Promise<Record<string, unknown> | undefined>;
  upsert(type: string, id: string, e: Record<string, unknown>): Promise<void>;
  delete(type: string, id: string): Promise<void>;
};

const mutators = {
  put: async (tx: Tx, id: string, value: number) => {
    await tx.upsert("item", id, { value });
  },
  bump: async (tx: Tx, id: string) => {
    const item = await tx.get("item", id);
    await tx.upsert("item", id, { value: ((item?.value as number) ?? 0) + 1 });
  },
  remove: async (tx: Tx, id: string) => {
    await tx.delete("item", id);
  },
};
const ids = fc.constantFrom("a", "b", "c");
const operations = {
  put: fc.tuple(ids, fc.integer({ min: 0, max: 100 })),
  bump: fc.tuple(ids),
  remove: fc.tuple(ids),
};

describe("simulate", () => {
  it("converges under the default faults", async () => {
    const report = await simulate({ seed: 1, clients: 3, mutators, operations, runs: 5, steps: 30 });
    expect(report.runs).toBe(5);
    expect(report.operations).toBeGreaterThan(0);
    console.log(report);
  });
});
