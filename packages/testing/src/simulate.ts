import fc from "fast-check";
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { TestingError, TestingErrorCode } from "./errors";
import { formatStep, scenarioArbitrary, type SimScenario } from "./scenario";
import { runWorld, type RunOutcome, type RunStats } from "./world";

/** The faults of a simulation. Message faults are probabilities per message; step faults are weights relative to one operation. */
export interface SimulationFaults {
  /** A request or answer is lost. @default 0.05 */
  drop?: number;
  /** A request reaches the server twice. @default 0.05 */
  duplicate?: number;
  /** A message is held back past later ones. @default 0.1 */
  reorder?: number;
  /** One-way latency range, ms. @default [1, 40] */
  delay?: readonly [number, number];
  /** Weight of "cut one client off for a while" steps. @default 0.05 */
  partition?: number;
  /** Weight of `engine.disconnect()` … `connect()` steps. @default 0.05 */
  disconnect?: number;
  /** Weight of client `kill -9` + restart steps (its storage loses what was not durable). @default 0.03 */
  clientRestart?: number;
  /** Weight of server `kill -9` + restart steps (commits not yet durable are lost). @default 0.02 */
  serverRestart?: number;
  /** ms a storage write takes to become durable. @default [0, 5] */
  storageLatency?: readonly [number, number];
}

/** A mutator as both sides run it: `(tx, ...args)`. */
export type SimulationMutator = (tx: any, ...args: any[]) => void | Promise<void>;

/** Options of `simulate`. */
export interface SimulationOptions<TMutators extends Record<string, SimulationMutator>> {
  /** The seed of the whole simulation: the same seed gives the same runs. @default a random one (printed on failure) */
  seed?: number;
  /** Number of simulated clients. @default 3 */
  clients?: number;
  /** The application's mutators: the server and every client run them. */
  mutators: TMutators;
  /** The server's schema (one Standard Schema, or one per entity type); a single schema also validates the clients' stores. @default none */
  schema?: StandardSchemaV1 | Readonly<Record<string, StandardSchemaV1>>;
  /** How to generate each operation's arguments, by mutator name (the names generated). */
  operations: { readonly [K in keyof TMutators]?: fc.Arbitrary<readonly unknown[]> };
  faults?: SimulationFaults;
  /** Runs (scenarios) to try. @default 20 */
  runs?: number;
  /** Most steps (operations and fault events) per run. @default 40 */
  steps?: number;
  /** Simulated ms allowed for convergence after the network heals. @default 120000 */
  convergeWithinMs?: number;
  /** Replays one counterexample: the `path` a failure printed (with its `seed`). */
  path?: string;
  /**
   * A restarted client first pushes the operations its storage recovered
   * (`engine.flush()`), then creates its optimistic client (mutations meanwhile
   * are skipped). `false` creates it at once, which `createOptimisticClient`
   * does not support today: it claims the recovered operations' ids for its
   * own. @default true
   */
  restartDrainsQueue?: boolean;
  /** Runs the first scenario twice and checks both runs are identical. @default true */
  checkDeterminism?: boolean;
}

/** What `simulate` reports when every run kept the guarantees. */
export interface SimulationReport extends RunStats {
  readonly seed: number;
  readonly runs: number;
  /** Wall-clock ms the simulation took. */
  readonly wallMs: number;
}

/** A failed simulation: the seed, the replay path and the shrunk scenario. */
export class SimulationFailure extends TestingError {
  readonly seed: number;
  readonly path: string;
  /** The shrunk scenario, one line per step. */
  readonly steps: readonly string[];
  readonly problems: readonly string[];
  /** The shrunk run's event trace (the last lines). */
  readonly trace: readonly string[];

  constructor(seed: number, path: string, scenario: SimScenario | undefined, outcome: RunOutcome | undefined, cause: unknown) {
    const steps = (scenario?.steps ?? []).map(formatStep);
    const problems = outcome?.problems ?? [cause instanceof Error ? cause.stack ?? cause.message : String(cause)];
    const trace = (outcome?.trace ?? []).slice(-60);
    super(
      TestingErrorCode.PropertyFailed,
      [
        `simulation failed (seed ${seed}, path "${path}"): replay with simulate({ ..., seed: ${seed}, path: "${path}" })`,
        `problems:`,
        ...problems.map((p) => `  - ${p}`),
        `shrunk scenario (netSeed ${scenario?.netSeed ?? "?"}, ${steps.length} steps):`,
        ...steps.map((s) => `  ${s}`),
        `trace (last ${trace.length} events, simulated ms):`,
        ...trace.map((t) => `  ${t}`),
      ].join("\n"),
      { cause },
    );
    this.name = "SimulationFailure";
    this.seed = seed;
    this.path = path;
    this.steps = steps;
    this.problems = problems;
    this.trace = trace;
  }
}

class RunProblems extends Error {
  constructor(readonly outcome: RunOutcome) {
    super(outcome.problems.join("\n"));
  }
}

const invalid = (message: string) => new TestingError(TestingErrorCode.InvalidArgument, `simulate: ${message}`);

function probability(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) throw invalid(`faults.${name} must be a number in [0, 1], got ${String(value)}`);
  return value;
}

function range(value: readonly [number, number] | undefined, name: string, fallback: readonly [number, number]): readonly [number, number] {
  if (value === undefined) return fallback;
  const [min, max] = Array.isArray(value) ? value : [];
  if (!Number.isInteger(min) || !Number.isInteger(max) || (min as number) < 0 || (max as number) < (min as number)) {
    throw invalid(`faults.${name} must be [min, max] integers with 0 ≤ min ≤ max`);
  }
  return [min as number, max as number];
}

function positive(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw invalid(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/**
 * Runs `runs` simulated scenarios of `clients` clients and one server in this
 * process, on a fake clock, through a faulty simulated network and crashing
 * storage, with client and server restarts. After each run's network heals
 * and every queue drains it checks: every client's state equals the
 * server's, no operation was applied twice, no confirmed operation was lost,
 * and (first run) the same seed gives the same run. A failure is shrunk by
 * fast-check and thrown as `SimulationFailure` (seed, replay path, steps,
 * trace).
 *
 * @example
 * await simulate({
 *   seed: 42,
 *   clients: 3,
 *   mutators: { addTodo, toggle },
 *   operations: { addTodo: fc.tuple(fc.constantFrom("t1", "t2"), fc.string()), toggle: fc.tuple(fc.constantFrom("t1", "t2")) },
 * });
 */
export async function simulate<TMutators extends Record<string, SimulationMutator>>(options: SimulationOptions<TMutators>): Promise<SimulationReport> {
  if (typeof options !== "object" || options === null) throw invalid("expected an options object");
  const { mutators } = options;
  if (typeof mutators !== "object" || mutators === null) throw invalid("mutators must be an object of functions");
  for (const [name, fn] of Object.entries(mutators)) if (typeof fn !== "function") throw invalid(`mutators.${name} must be a function`);
  const operations: Record<string, fc.Arbitrary<readonly unknown[]>> = {};
  for (const [name, arb] of Object.entries(options.operations ?? {})) {
    if (arb === undefined) continue;
    if (!(name in mutators)) throw invalid(`operations.${name} names no mutator`);
    if (typeof (arb as { generate?: unknown }).generate !== "function") throw invalid(`operations.${name} must be a fast-check Arbitrary of argument arrays`);
    operations[name] = arb as fc.Arbitrary<readonly unknown[]>;
  }
  if (Object.keys(operations).length === 0) throw invalid("operations must give an argument generator for at least one mutator");
  const seed = options.seed ?? (Math.random() * 0x7fffffff) | 0;
  if (!Number.isInteger(seed)) throw invalid(`seed must be an integer, got ${String(seed)}`);
  const clients = positive(options.clients, "clients", 3);
  const runs = positive(options.runs, "runs", 20);
  const steps = positive(options.steps, "steps", 40);
  const f = options.faults ?? {};
  const config = {
    clients,
    mutators,
    schema: options.schema,
    network: {
      drop: probability(f.drop, "drop", 0.05),
      duplicate: probability(f.duplicate, "duplicate", 0.05),
      reorder: probability(f.reorder, "reorder", 0.1),
      delay: range(f.delay, "delay", [1, 40]),
    },
    storageLatency: range(f.storageLatency, "storageLatency", [0, 5]),
    convergeWithinMs: positive(options.convergeWithinMs, "convergeWithinMs", 120_000),
    restartDrainsQueue: options.restartDrainsQueue ?? true,
  };
  const weights = {
    partition: probability(f.partition, "partition", 0.05),
    disconnect: probability(f.disconnect, "disconnect", 0.05),
    clientRestart: probability(f.clientRestart, "clientRestart", 0.03),
    serverRestart: probability(f.serverRestart, "serverRestart", 0.02),
  };
  const arbitrary = scenarioArbitrary(clients, operations, steps, weights);
  const total: RunStats = {
    operations: 0, confirmed: 0, refused: 0, requests: 0, dropped: 0, duplicated: 0, reordered: 0,
    partitions: 0, disconnects: 0, clientRestarts: 0, serverRestarts: 0, lostClientWrites: 0, simulatedMs: 0, convergeMs: 0,
  };
  let determinismChecked = options.checkDeterminism === false;
  let last: { scenario: SimScenario; outcome: RunOutcome } | undefined;
  const started = performance.now();
  const details = await fc.check(
    fc.asyncProperty(arbitrary, async (scenario) => {
      const outcome = await runWorld(config, scenario);
      last = { scenario, outcome };
      if (!determinismChecked) {
        determinismChecked = true;
        const again = await runWorld(config, scenario);
        if (again.fingerprint !== outcome.fingerprint) {
          const at = outcome.trace.findIndex((line, i) => again.trace[i] !== line);
          outcome.problems.push(`the same scenario ran differently twice (first difference at event ${at}: ${JSON.stringify(outcome.trace[at])} vs ${JSON.stringify(again.trace[at])})`);
        }
      }
      if (outcome.problems.length > 0) throw new RunProblems(outcome);
      for (const k of Object.keys(total) as (keyof RunStats)[]) total[k] += outcome.stats[k];
    }),
    { seed, numRuns: runs, ...(options.path === undefined ? {} : { path: options.path }) },
  );
  if (details.failed) {
    const scenario = (details.counterexample?.[0] as SimScenario | undefined) ?? last?.scenario;
    const error = details.errorInstance;
    const outcome = error instanceof RunProblems ? error.outcome : undefined;
    throw new SimulationFailure(seed, details.counterexamplePath ?? "", scenario, outcome, error);
  }
  return { ...total, seed, runs: details.numRuns, wallMs: performance.now() - started };
}
