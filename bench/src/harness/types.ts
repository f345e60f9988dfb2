/** A measurement from a child, or the reason an implementation has no sensible equivalent. */
export type Value = number | { readonly na: string };

/** What one child process reports: a value per workload id. */
export type Measurements = Record<string, Value>;

/** How a workload's value is printed. `ms` values may carry an op count for a µs/op column. */
export type Unit = "ms" | "B/entity" | "µs";

/** One row group of a table: a workload every implementation runs. */
export interface Workload {
  readonly id: string;
  readonly label: string;
  readonly unit: Unit;
  /** Operations in one measurement, to print µs/op next to the total. */
  readonly ops?: number;
  /** Print the per-op column as a rate (ops/s) instead of a time per op. @default "time" */
  readonly perOp?: "time" | "rate";
  /** The implementation the ratio column divides by. */
  readonly baseline: string;
}

/** Reads a median: `undefined` when the implementation did not run or reported n/a. */
export type MedianLookup = (workload: string, impl: string) => number | undefined;

/** A target printed on one (workload, impl) row. */
export interface Target {
  readonly workload: string;
  readonly impl: string;
  /** e.g. "≤ 2×". */
  readonly text: string;
  /** `undefined` when it cannot be decided (a value is missing). */
  check(median: MedianLookup): boolean | undefined;
  /** What the check compared, e.g. "1M/10k = 1.3×"; printed after the mark. */
  detail?(median: MedianLookup): string | undefined;
  /** The measured value the target is about (for the summary), when `detail` does not say it. */
  measured?(median: MedianLookup): string | undefined;
}

/** One child process to start in every round. */
export interface Job {
  readonly impl: string;
  /** Passed to the child as JSON. */
  readonly params: Record<string, unknown>;
  /** A name for logs and raw results. @default impl */
  readonly label?: string;
  /** Runs in the first `maxRounds` rounds only (a slow peer). @default every round */
  readonly maxRounds?: number;
}

/** A benchmark group: what runs in the children and how the table reads. */
export interface GroupSpec {
  readonly id: string;
  readonly title: string;
  /** Implementation ids in table order, with their printed names. */
  readonly impls: ReadonlyArray<{ readonly id: string; readonly label: string }>;
  readonly rounds: number;
  readonly workloads: readonly Workload[];
  readonly targets: readonly Target[];
  /** The children of one round, in order (interleaved across impls). */
  readonly jobs: readonly Job[];
  /** Rows an implementation has no result for by design, printed as "n/a" with the reason. */
  readonly notApplicable?: ReadonlyArray<{ readonly workload: string; readonly impl: string; readonly reason: string }>;
  /** Lines printed under the table (semantics, caveats). */
  readonly notes?: readonly string[];
  /** Node options for the children beyond `--expose-gc`. */
  readonly execArgv?: readonly string[];
  /**
   * Runs once before the first round (untimed): builds what every child
   * shares (a data directory…). Its `params` are merged into every job's;
   * `cleanup` runs after the last round.
   */
  readonly prepare?: (log: (line: string) => void) => Promise<{ params?: Record<string, unknown>; cleanup?: () => void }>;
}

/** Options every group builder receives from the command line. */
export interface RunOptions {
  readonly quick: boolean;
  /** Overrides the group's default round count. */
  readonly rounds?: number | undefined;
}
