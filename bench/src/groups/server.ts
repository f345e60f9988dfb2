import type { GroupSpec, RunOptions } from "../harness/types";

/** Sizes of the server workloads. */
export interface ServerParams {
  /** Operations pushed by one client. */
  readonly single: number;
  /** Clients pushing at once (spread over the instances), and operations each. */
  readonly clients: number;
  readonly perClient: number;
  /** Operations per push request. */
  readonly batch: number;
  /** Superuser URL of a PostgreSQL for the postgres implementations (a database is created and dropped). */
  readonly postgresUrl?: string;
}

const fmt = (n: number) => n.toLocaleString("en-US");

/**
 * Group: the real `kalphite-server` process (apps/sync-server) serving the
 * todo app's mutators — operations per second on PGlite (its default data
 * directory storage) and on PostgreSQL with one and with two instances.
 */
export function serverGroup(options: RunOptions): GroupSpec {
  const postgresUrl = process.env.KALPHITE_TEST_POSTGRES_URL;
  const base = options.quick ? { single: 2_000, clients: 20, perClient: 100, batch: 100 } : { single: 10_000, clients: 40, perClient: 250, batch: 100 };
  const params: ServerParams = postgresUrl ? { ...base, postgresUrl } : base;
  const many = params.clients * params.perClient;
  const pgImpls = ["postgres-1", "postgres-2"];
  return {
    id: "server",
    title: "kalphite-server — todo mutators through the server process over HTTP on 127.0.0.1",
    impls: [
      { id: "pglite", label: "1 instance, PGlite data directory" },
      { id: "postgres-1", label: "1 instance, PostgreSQL 15" },
      { id: "postgres-2", label: "2 instances, one PostgreSQL 15" },
    ],
    rounds: options.rounds ?? (options.quick ? 1 : 3),
    jobs: [{ impl: "pglite", params: { ...params } }, ...(postgresUrl ? pgImpls.map((impl) => ({ impl, params: { ...params } })) : [])],
    workloads: [
      { id: "push-1", label: `1 client: ${fmt(params.single)} addTodo in pushes of ${params.batch}`, unit: "ms", ops: params.single, perOp: "rate", baseline: "pglite" },
      { id: "push-many", label: `${params.clients} clients × ${fmt(params.perClient)} addTodo, pushes of ${params.batch} (clients spread over the instances)`, unit: "ms", ops: many, perOp: "rate", baseline: "pglite" },
    ],
    targets: [],
    notApplicable: postgresUrl ? [] : ["push-1", "push-many"].flatMap((workload) => pgImpls.map((impl) => ({ workload, impl, reason: "KALPHITE_TEST_POSTGRES_URL unset" }))),
    notes: [
      "The servers are real `kalphite-server` processes (apps/sync-server/dist/cli.js, built when missing: run `npm run server -- --help` or the sync-server tests first after changing its sources) started by the child with --port 0 --quiet; the clients are ModernSyncEngines (memory storage) in the child. 2 cores are shared by everything, so two instances compete with each other and with the clients for CPU.",
      "push: each client queues its addTodo operations (`executeOperation`) and `flush()`es; time until every operation is confirmed. Each operation is validated (zod args, todo schema) and applied once.",
      "postgres-2: clients alternate between the two instances; both write to the same room (one schema), serialized on its version row, with LISTEN/NOTIFY between them.",
    ],
  };
}
