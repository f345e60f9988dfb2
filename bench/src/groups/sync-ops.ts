import { maxValue } from "../harness/targets";
import type { GroupSpec, RunOptions, Target } from "../harness/types";

/** Sizes of the operation-sync workloads. */
export interface SyncOpsParams {
  /** Operations pushed by the single client. */
  readonly single: number;
  /** Clients pushing at once, and operations each. */
  readonly clients: number;
  readonly perClient: number;
  /** Operations per push request. */
  readonly batch: number;
  /** Clients connected for the latency run, and samples taken. */
  readonly listeners: number;
  readonly samples: number;
  /** Superuser URL of a PostgreSQL for the `postgres` implementation (a database is created and dropped). */
  readonly postgresUrl?: string;
}

const fmt = (n: number) => n.toLocaleString("en-US");

/** "≥ N ops/s" on a workload timed in ms for `ops` operations. */
function minRate(workload: string, impl: string, ops: number, rate: number): Target {
  return {
    workload,
    impl,
    text: `≥ ${fmt(rate)} ops/s`,
    check: (median) => {
      const ms = median(workload, impl);
      return ms === undefined ? undefined : (ops / ms) * 1000 >= rate;
    },
    measured: (median) => {
      const ms = median(workload, impl);
      return ms === undefined ? undefined : `${fmt(Math.round((ops / ms) * 1000))} ops/s`;
    },
  };
}

/** Group: `@kalphite/sync-ops` — operations through the server, and the time until another client sees one. */
export function syncOpsGroup(options: RunOptions): GroupSpec {
  const postgresUrl = process.env.KALPHITE_TEST_POSTGRES_URL;
  const base = options.quick
    ? { single: 5_000, clients: 50, perClient: 100, batch: 100, listeners: 100, samples: 30 }
    : { single: 20_000, clients: 50, perClient: 400, batch: 100, listeners: 100, samples: 200 };
  const params: SyncOpsParams = postgresUrl ? { ...base, postgresUrl } : base;
  const many = params.clients * params.perClient;
  const impls = [
    { id: "pglite", label: "server on embedded PGlite (memory)" },
    { id: "postgres", label: "server on PostgreSQL 15 (node-postgres)" },
  ];
  return {
    id: "sync-ops",
    title: `sync-ops — ModernSyncEngine ↔ createOperationSyncServer over HTTP on 127.0.0.1`,
    impls,
    rounds: options.rounds ?? (options.quick ? 1 : 3),
    jobs: [{ impl: "pglite", params: { ...params } }, ...(postgresUrl ? [{ impl: "postgres", params: { ...params } }] : [])],
    workloads: [
      { id: "push-1", label: `1 client: ${fmt(params.single)} operations in pushes of ${params.batch}`, unit: "ms", ops: params.single, perOp: "rate", baseline: "pglite" },
      { id: "push-50", label: `${params.clients} clients × ${fmt(params.perClient)} operations, pushes of ${params.batch}`, unit: "ms", ops: many, perOp: "rate", baseline: "pglite" },
      { id: "visible-p50", label: `${params.listeners} clients connected: executeOperation on one → statePatch on another, p50`, unit: "ms", baseline: "pglite" },
      { id: "visible-p99", label: `… p99 (${params.samples} samples)`, unit: "ms", baseline: "pglite" },
    ],
    targets: [
      minRate("push-1", "pglite", params.single, 10_000),
      minRate("push-50", "pglite", many, 10_000),
      maxValue("visible-p50", "pglite", 10, "ms"),
      maxValue("visible-p99", "pglite", 50, "ms"),
    ],
    notApplicable: postgresUrl
      ? []
      : ["push-1", "push-50", "visible-p50", "visible-p99"].map((workload) => ({ workload, impl: "postgres", reason: "KALPHITE_TEST_POSTGRES_URL unset" })),
    notes: [
      "Server and clients run in one child process (2 cores shared): the figures include the clients' own work (queueing, JSON, HTTP). Mutator = `addTodo(tx, id, title)` → `tx.upsert(\"todo\", …)` validated by a zod schema (`addNote` the same for notes).",
      "push: every client queues its operations (`executeOperation`, memory storage) and `flush()`es with batchSize 100; time until every operation is confirmed (these clients pull no entities: `entityTypes: [\"none\"]`). Warm-up: 5,000 operations from 1 client and 1,000 from 10 first. Concurrent pushes are grouped by the server into one SQL transaction.",
      "visible: one sender, a receiver drawn at random among the other connected clients (WebSocket notifications, every client pulls on state_changed); from `executeOperation(\"addNote\")` to the receiver's `statePatch` holding the note (the clients pull notes only).",
      "postgres: a fresh database on the test PostgreSQL (KALPHITE_TEST_POSTGRES_URL), created and dropped by the child.",
    ],
  };
}
