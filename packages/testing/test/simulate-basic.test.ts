import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SimulationFailure, TestingError, simulate } from "@kalphite/testing";

interface Tx {
  get(type: string, id: string): Promise<Record<string, unknown> | undefined>;
  upsert(type: string, id: string, e: Record<string, unknown>): Promise<void>;
  delete(type: string, id: string): Promise<void>;
}

const mutators = {
  put: async (tx: Tx, id: string, value: number) => {
    await tx.upsert("item", id, { value });
  },
  bump: async (tx: Tx, id: string) => {
    const item = await tx.get("item", id);
    await tx.upsert("item", id, { value: ((item?.value as number | undefined) ?? 0) + 1 });
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
const harsh = { drop: 0.2, duplicate: 0.2, reorder: 0.2, partition: 0.1, disconnect: 0.1, clientRestart: 0.1, serverRestart: 0.1 };

describe("simulate", () => {
  it("converges with exactly-once application under heavy faults (drops, duplicates, reorders, partitions, disconnects, kill -9 of clients and server)", async () => {
    const report = await simulate({ seed: 7, clients: 4, mutators, operations, runs: 12, steps: 60, faults: harsh });
    expect(report.runs).toBe(12);
    expect(report.operations).toBeGreaterThan(100);
    expect(report.confirmed).toBeGreaterThan(0);
    for (const fault of ["dropped", "duplicated", "reordered", "partitions", "disconnects", "clientRestarts", "serverRestarts"] as const) {
      expect(report[fault], fault).toBeGreaterThan(0);
    }
  });

  it("gives the same report for the same seed, and a different one for another seed", async () => {
    const run = (seed: number) => simulate({ seed, clients: 3, mutators, operations, runs: 4, steps: 30, faults: harsh });
    const strip = ({ wallMs: _w, ...rest }: Awaited<ReturnType<typeof run>>) => rest;
    const [a, b, c] = [strip(await run(11)), strip(await run(11)), strip(await run(12))];
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it("reports a failure with the seed, a replay path and a shrunk scenario, and replays it", async () => {
    // A client-side mutator that never settles: the optimistic client never goes idle.
    const broken = {
      ...mutators,
      hang: async (tx: Tx & { query?: unknown }) => {
        if (typeof tx.query === "function") await new Promise<void>(() => undefined);
      },
    };
    const options = { seed: 3, clients: 2, mutators: broken, operations: { ...operations, hang: fc.constant([] as const) }, runs: 10, steps: 20 };
    const failure = await simulate(options).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(SimulationFailure);
    const f = failure as SimulationFailure;
    expect(f.code).toBe("PROPERTY_FAILED");
    expect(f.seed).toBe(3);
    expect(f.path).not.toBe("");
    expect(f.problems.join("\n")).toContain("never became idle");
    // Shrunk to the one step that matters.
    expect(f.steps).toHaveLength(1);
    expect(f.steps[0]).toMatch(/hang\(\)/);
    expect(f.message).toContain(`seed: 3, path: "${f.path}"`);
    const replay = await simulate({ ...options, path: f.path }).then(
      () => undefined,
      (error: unknown) => error as SimulationFailure,
    );
    expect(replay?.steps).toEqual(f.steps);
    expect(replay?.problems).toEqual(f.problems);
  });

  it("refuses bad options with INVALID_ARGUMENT naming the option", async () => {
    const cases: [unknown, RegExp][] = [
      [{ mutators, operations: {} }, /operations/],
      [{ mutators, operations: { nope: fc.constant([]) } }, /operations\.nope/],
      [{ mutators, operations: { put: [1] } }, /operations\.put/],
      [{ mutators: { put: 1 }, operations }, /mutators\.put/],
      [{ mutators, operations, clients: 0 }, /clients/],
      [{ mutators, operations, faults: { drop: 2 } }, /faults\.drop/],
      [{ mutators, operations, faults: { delay: [5, 1] } }, /faults\.delay/],
      [{ mutators, operations, seed: 1.5 }, /seed/],
    ];
    for (const [options, message] of cases) {
      const error = await simulate(options as never).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TestingError);
      expect((error as TestingError).code).toBe("INVALID_ARGUMENT");
      expect((error as Error).message).toMatch(message);
    }
  });
});
