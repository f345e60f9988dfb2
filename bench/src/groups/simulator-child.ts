import fc from "fast-check";
import { simulate, type SimulationFaults } from "@kalphite/testing";
import type { Measurements } from "../harness/types";
import { SIMULATOR_NOMINAL_OPS, simulatorCases, type SimulatorParams } from "./simulator";

interface Tx {
  get(type: string, id: string): Promise<Record<string, unknown> | undefined>;
  upsert(type: string, id: string, e: Record<string, unknown>): Promise<void>;
  delete(type: string, id: string): Promise<void>;
}

const mutators = {
  put: async (tx: Tx, id: string, value: number) => tx.upsert("item", id, { value }),
  bump: async (tx: Tx, id: string) => {
    const item = await tx.get("item", id);
    await tx.upsert("item", id, { value: ((item?.value as number | undefined) ?? 0) + 1 });
  },
  remove: async (tx: Tx, id: string) => tx.delete("item", id),
};
const ids = fc.constantFrom("a", "b", "c");
const operations = { put: fc.tuple(ids, fc.integer({ min: 0, max: 100 })), bump: fc.tuple(ids), remove: fc.tuple(ids) };

const FAULTS: Record<string, SimulationFaults> = {
  none: { drop: 0, duplicate: 0, reorder: 0, partition: 0, disconnect: 0, clientRestart: 0, serverRestart: 0 },
  default: {},
  harsh: { drop: 0.2, duplicate: 0.2, reorder: 0.2, partition: 0.1, disconnect: 0.1, clientRestart: 0.1, serverRestart: 0.1 },
};

export async function runSimulatorChild(impl: string, raw: Record<string, unknown>): Promise<Measurements> {
  if (impl !== "simulate") throw new Error(`unknown impl ${impl}`);
  const params = raw as unknown as SimulatorParams;
  const out: Measurements = {};
  for (const c of simulatorCases) {
    const perNominal: number[] = [];
    for (let rep = 0; rep < params.reps; rep++) {
      const report = await simulate({ seed: 100 + rep, clients: c.clients, mutators, operations, runs: params.runs, steps: params.steps, faults: FAULTS[c.faults] as SimulationFaults });
      if (report.operations === 0) throw new Error(`${c.id}: no operation was simulated`);
      perNominal.push((report.wallMs / report.operations) * SIMULATOR_NOMINAL_OPS);
    }
    perNominal.sort((a, b) => a - b);
    out[c.id] = perNominal[perNominal.length >> 1] as number;
  }
  return out;
}
