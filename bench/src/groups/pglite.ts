import { maxRatio } from "../harness/targets";
import type { GroupSpec, RunOptions, Target } from "../harness/types";

/** Sizes of the PGlite workloads. */
export interface PgliteParams {
  readonly n: number;
  /** Measured runs per child (after a warm-up on a tenth of the rows for writes, a full one for hydrate). */
  readonly reps: number;
}

const fmt = (n: number) => n.toLocaleString("en-US");

/** "Throughput ≥ 80 % of raw" is "time ≤ 1.25× raw"; printed as the throughput share. */
function throughputShare(workload: string, impl: string, share: number): Target {
  const limit = 1 / share;
  const base = maxRatio(workload, impl, "raw", limit);
  return {
    ...base,
    text: `≥ ${Math.round(share * 100)} % of raw throughput`,
    detail: (median) => {
      const value = median(workload, impl);
      const raw = median(workload, "raw");
      return value === undefined || raw === undefined ? undefined : `${Math.round((raw / value) * 100)} %`;
    },
  };
}

/** Group 3: the flush engine into PGlite and hydration, against raw PGlite on the same table. */
export function pgliteGroup(options: RunOptions): GroupSpec {
  const params: PgliteParams = options.quick ? { n: 20_000, reps: 1 } : { n: 100_000, reps: 1 };
  return {
    id: "pglite",
    title: `pglite — ${fmt(params.n)} todos, memory://`,
    impls: [
      { id: "raw", label: "raw PGlite (floor)" },
      { id: "raw-rows", label: "raw SELECT data, a row per entity" },
      { id: "kalphite", label: "kalphite (createKalphite: maxBatchSize 1000)" },
      { id: "kalphite-100", label: "kalphite, engine default maxBatchSize 100" },
    ],
    rounds: options.rounds ?? (options.quick ? 1 : 3),
    jobs: [
      { impl: "raw", params: { ...params } },
      { impl: "kalphite", params: { ...params } },
    ],
    workloads: [
      { id: "write", label: `write ${fmt(params.n)} new rows (flush engine)`, unit: "ms", ops: params.n, perOp: "rate", baseline: "raw" },
      { id: "hydrate", label: `hydrate ${fmt(params.n)} entities (hydrate())`, unit: "ms", ops: params.n, baseline: "raw" },
    ],
    targets: [throughputShare("write", "kalphite", 0.8), maxRatio("hydrate", "kalphite", "raw", 1.5)],
    notes: [
      "Both children open `new FrontendDatabase({ dbName: \"memory://\" })` and `init()` it (PGlite start-up excluded), so the table is the same: kalphite_entities (type, id, seq identity, data jsonb, updated_at), primary key (type, id).",
      "raw write = one transaction of `INSERT … SELECT … FROM jsonb_to_recordset($1) ON CONFLICT (type, id) DO UPDATE` statements of 10,000 rows (the fastest of 1 × 100k, 10 × 10k, 100 × 1k in a trial), JSON.stringify included; kalphite write = `scheduleFlush` of every row into `new MemoryFlushEngine({ flushTarget: createFlushTarget(db), maxBatchSize })` + `await engine.flush()`, with maxBatchSize 1000 as `createKalphite` sets it (PGLITE_FLUSH_DEFAULTS) and the engine's own default of 100 shown too. Table truncated between runs (untimed); warm-up on 10 % of the rows.",
      "raw hydrate = `SELECT json_agg(data)::text FROM kalphite_entities` + one JSON.parse (the fastest raw read; a row per entity shown too); kalphite = `hydrate(KalphiteStore(undefined, { freeze: false }), db)` (getAll in insertion order + loadEntities).",
    ],
  };
}
