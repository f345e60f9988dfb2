import type { GroupSpec, RunOptions } from "../harness/types";

/** Sizes of the simulator workloads (sent to each child). */
export interface SimulatorParams {
  /** Runs (scenarios) per measurement. */
  readonly runs: number;
  /** Most steps per run. */
  readonly steps: number;
  readonly reps: number;
}

/** The measured value is normalized to this many simulated operations (the table prints ops/s). */
export const SIMULATOR_NOMINAL_OPS = 1000;

export const simulatorCases = [
  { id: "clean-3", label: "3 clients, no faults", clients: 3, faults: "none" },
  { id: "faults-3", label: "3 clients, default faults", clients: 3, faults: "default" },
  { id: "faults-10", label: "10 clients, default faults", clients: 10, faults: "default" },
  { id: "harsh-4", label: "4 clients, heavy faults + restarts", clients: 4, faults: "harsh" },
] as const;

/**
 * Group: `@kalphite/testing`'s `simulate()` — simulated operations per second
 * of wall time (clients, server, network and storage in one process on a
 * fake clock), so users know what a thousand-seed run costs.
 */
export function simulatorGroup(options: RunOptions): GroupSpec {
  const params: SimulatorParams = options.quick ? { runs: 5, steps: 40, reps: 2 } : { runs: 20, steps: 60, reps: 3 };
  return {
    id: "simulator",
    title: "simulator — simulated operations per second (@kalphite/testing simulate())",
    impls: [{ id: "simulate", label: "simulate()" }],
    rounds: options.rounds ?? (options.quick ? 1 : 3),
    jobs: [{ impl: "simulate", params: { ...params } }],
    workloads: simulatorCases.map((c) => ({ id: c.id, label: `${c.label}: ${params.runs} runs × ≤ ${params.steps} steps`, unit: "ms" as const, ops: SIMULATOR_NOMINAL_OPS, baseline: "simulate" })),
    targets: [],
    notes: [
      `Each value is wall time per ${SIMULATOR_NOMINAL_OPS.toLocaleString("en-US")} simulated \`mutate\` operations, so the per-op column is wall time per simulated operation (operations per second = 1000 ÷ that in ms), including the clients' pulls and pushes, the server's push transactions on the simulated storage, the convergence wait after the heal, the final checks and the determinism re-run of the first scenario. Mutators: put / bump / remove on 3 ids.`,
      "default faults: 5 % drops, 5 % duplicates, 10 % reorders per message, partitions and disconnects; heavy: 20 % / 20 % / 20 % and client and server kill -9 restarts at 10 % of steps each.",
      "A thousand-seed run costs about 1000 × operations per run × the per-op time: at 25 operations per run and 1 ms per operation, 25 s. Each run also pays a fixed cost (a server and N clients are built, the network heals and every queue drains), which dominates short runs.",
    ],
  };
}
