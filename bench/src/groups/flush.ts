import type { GroupSpec, RunOptions } from "../harness/types";

/** Sizes of the flush workloads. */
export interface FlushParams {
  /** Changes per measured run. */
  readonly changes: number;
  /** Distinct entities in the coalescing run. */
  readonly hot: number;
  readonly reps: number;
}

const fmt = (n: number) => n.toLocaleString("en-US");

/** Group 2: the cost of `MemoryFlushEngine.scheduleFlush` and its throughput into the in-memory target. */
export function flushGroup(options: RunOptions): GroupSpec {
  const params: FlushParams = options.quick ? { changes: 20_000, hot: 1_000, reps: 3 } : { changes: 100_000, hot: 1_000, reps: 3 };
  return {
    id: "flush",
    title: `flush — MemoryFlushEngine, ${fmt(params.changes)} changes`,
    impls: [
      { id: "map", label: "Map.set (baseline)" },
      { id: "flush", label: "flush engine" },
      { id: "flush-1000", label: "flush engine, maxBatchSize 1000" },
    ],
    rounds: options.rounds ?? (options.quick ? 2 : 5),
    jobs: [
      { impl: "map", params: { ...params } },
      { impl: "flush", params: { ...params, maxBatchSize: 100 } },
      { impl: "flush-1000", params: { ...params, maxBatchSize: 1000 } },
    ],
    workloads: [
      { id: "schedule-distinct", label: `${fmt(params.changes)} scheduleFlush, distinct entities`, unit: "ms", ops: params.changes, baseline: "map" },
      { id: "schedule-coalesce", label: `${fmt(params.changes)} scheduleFlush over ${fmt(params.hot)} entities (coalescing)`, unit: "ms", ops: params.changes, baseline: "map" },
      { id: "throughput", label: `${fmt(params.changes)} changes scheduled + flush() into the in-memory target`, unit: "ms", ops: params.changes, perOp: "rate", baseline: "map" },
    ],
    targets: [],
    notes: [
      "Map.set (baseline) = `map.set(entity.id, entity)` on a fresh Map, the least a keyed queue can do; for throughput, the same Map.set per change (the in-memory target's own write).",
      "scheduleFlush is timed alone (debounce 60 s, nothing delivered during the loop); throughput = every scheduleFlush + `await engine.flush()` until the target holds all changes.",
      "flush engine = defaults (maxBatchSize 100, what createKalphite uses); maxBatchSize 1000 shown for comparison. The issue sets no target here.",
    ],
  };
}
