import "fake-indexeddb/auto";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type { PGlite } from "@electric-sql/pglite";
import { generateTodos, type Todo } from "../data/todos";
import { collectGarbage, nowMs, sink } from "../harness/timing";
import type { Measurements, Value } from "../harness/types";
import type { TransactionsParams } from "./transactions";

const SEED = 11;
type Row = Todo & Record<string, unknown>;

interface Run {
  /** Creates every transaction; returns a promise for all of them done. */
  start(todos: readonly Row[]): Promise<unknown>;
  /** How many transactions completed so far. */
  completed(): number;
  dispose(): Promise<void>;
}

/** Builds one run; `deadline` (nowMs) is when the run's budget ends. */
type Make = (rep: number, deadline: number) => Promise<Run>;

/**
 * Times `reps` runs over `todos` (after `warmup` unmeasured ones): the
 * synchronous creation loop and the whole until settled; medians. A run past
 * `budgetMs` is abandoned and reported as n/a with how far it got.
 */
async function time(make: Make, todos: readonly Row[], p: { reps: number; warmup: number; budgetMs: number }): Promise<{ create: Value; settle: Value }> {
  const create: number[] = [];
  const settle: number[] = [];
  for (let rep = 0; rep < p.warmup + p.reps; rep++) {
    const run = await make(rep, nowMs() + p.budgetMs);
    collectGarbage();
    const t0 = nowMs();
    const done = run.start(todos);
    const t1 = nowMs();
    let timer: NodeJS.Timeout | undefined;
    // A run that keeps the event loop busy may starve the timer: the implementation also checks the deadline itself.
    const outcome = await Promise.race([
      done.then(
        (value) => ({ value }),
        () => undefined,
      ),
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), p.budgetMs))),
    ]);
    clearTimeout(timer);
    const t2 = nowMs();
    if (outcome === undefined) {
      const reason = `stopped after ${Math.round((t2 - t0) / 1000)} s (budget ${Math.round(p.budgetMs / 1000)} s) with ${run.completed().toLocaleString("en-US")} of ${todos.length.toLocaleString("en-US")} completed`;
      await run.dispose(); // stop it: the next run must not compete with it
      return { create: t1 - t0, settle: { na: reason } };
    }
    sink(outcome.value);
    await run.dispose();
    if (rep < p.warmup) continue;
    create.push(t1 - t0);
    settle.push(t2 - t0);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  return { create: median(create), settle: median(settle) };
}

async function measureAll(make: Make, todos: readonly Row[], small: readonly Row[], p: TransactionsParams): Promise<Measurements> {
  const big = await time(make, todos, p);
  const few = await time(make, small, p);
  return { create: big.create, settle: big.settle, "settle-small": few.settle };
}

async function kalphite(impl: string, todos: readonly Row[], small: readonly Row[], p: TransactionsParams): Promise<Measurements> {
  const tx = await import("@kalphite/transactions");
  let db: PGlite | undefined;
  if (impl === "kalphite-pglite") {
    const { PGlite } = await import("@electric-sql/pglite");
    db = await PGlite.create();
  }
  const quiet = { warn: () => {}, error: (message: string, ...rest: unknown[]) => console.error(message, ...rest) };
  try {
    let run = 0;
    return await measureAll(async () => {
      const rep = run++;
      const backend = new Map<string, unknown>();
      const persistence =
        impl === "kalphite-idb"
          ? tx.createIndexedDBStorage({ dbName: `bench-${rep}` })
          : impl === "kalphite-pglite"
            ? tx.createPGliteStorage({ db: db!, table: `bench_${rep}` })
            : (false as const);
      const collection = tx.createCollection<Row>({
        sync: { id: `bench-${impl}-${rep}`, setup: async () => ({ data: [] }) },
        mutationFn: {
          persist: async ({ changes }) => {
            for (const id in changes) backend.set(id, changes[id]);
          },
        },
        persistence,
        logger: quiet,
      });
      await collection.ready;
      return {
        start(rows) {
          const txs = new Array<ReturnType<typeof collection.insert>>(rows.length);
          for (let i = 0; i < rows.length; i++) txs[i] = collection.insert(rows[i]!);
          return Promise.all(txs.map((t) => collection.whenSettled(t))).then((settled) => {
            if (backend.size !== rows.length || settled.some((t) => t.state !== "completed")) {
              throw new Error(`backend holds ${backend.size} of ${rows.length}`);
            }
            return settled.length;
          });
        },
        completed: () => collection.getTransactions().filter((t) => t.state === "completed").length,
        dispose: () => collection.dispose(),
      };
    }, todos, small, p);
  } finally {
    await db?.close();
  }
}

class MapStorage {
  readonly #map = new Map<string, string>();
  async get(key: string) {
    return this.#map.get(key) ?? null;
  }
  async set(key: string, value: string) {
    this.#map.set(key, value);
  }
  async delete(key: string) {
    this.#map.delete(key);
  }
  async keys() {
    return [...this.#map.keys()];
  }
  async clear() {
    this.#map.clear();
  }
}

async function tanstack(impl: string, todos: readonly Row[], small: readonly Row[], p: TransactionsParams): Promise<Measurements> {
  const offline = await import("@tanstack/offline-transactions");
  // The @tanstack/db that offline-transactions itself uses (it pins 0.8.7; the bench's own is
  // 0.15.2): with another copy, collection writes do not join its ambient transactions.
  const offlineRequire = createRequire(createRequire(import.meta.url).resolve("@tanstack/offline-transactions"));
  const dbEsm = offlineRequire.resolve("@tanstack/db").replace(/dist[\\/]cjs[\\/]index\.cjs$/, "dist/esm/index.js");
  const db = (await import(pathToFileURL(dbEsm).href)) as typeof import("@tanstack/db");
  const alwaysLeader = {
    requestLeadership: () => Promise.resolve(true),
    releaseLeadership: () => {},
    isLeader: () => true,
    onLeadershipChange: () => () => {},
  };
  const online = { subscribe: () => () => {}, notifyOnline: () => {}, isOnline: () => true, dispose: () => {} };
  let run = 0;
  return measureAll(async (_rep, deadline) => {
    const rep = run++;
    const backend = new Map<string, unknown>();
    const collection = db.createCollection(db.localOnlyCollectionOptions<Row, string>({ id: `bench-${rep}`, getKey: (todo) => todo.id }));
    const executor = offline.startOfflineExecutor({
      collections: { todos: collection },
      mutationFns: {
        sync: async ({ transaction }: { transaction: { mutations: Array<{ key: unknown; modified: unknown }> } }) => {
          // Past the budget: refuse for good, so the rest of the queue drains fast and the run ends.
          if (nowMs() > deadline) throw new offline.NonRetriableError("bench budget exhausted");
          for (const m of transaction.mutations) backend.set(String(m.key), m.modified);
          (collection.utils as { acceptMutations: (t: unknown) => void }).acceptMutations(transaction);
        },
      },
      storage: impl === "tanstack-idb" ? new offline.IndexedDBAdapter(`bench-tanstack-${rep}`, "transactions") : new MapStorage(),
      leaderElection: alwaysLeader,
      onlineDetector: online,
    } as never);
    await executor.waitForInit();
    return {
      start(rows) {
        const commits = new Array<Promise<unknown>>(rows.length);
        for (let i = 0; i < rows.length; i++) {
          const t = executor.createOfflineTransaction({ mutationFnName: "sync", autoCommit: false });
          t.mutate(() => collection.insert(rows[i]!));
          commits[i] = t.commit();
        }
        return Promise.allSettled(commits).then((results) => {
          if (results.some((r) => r.status === "rejected")) throw new Error("stopped by the budget");
          if (backend.size !== rows.length) throw new Error(`backend holds ${backend.size} of ${rows.length}`);
          return rows.length;
        });
      },
      completed: () => backend.size,
      async dispose() {
        executor.dispose();
      },
    };
  }, todos, small, p);
}

/** Runs the transactions workloads for one implementation. */
export async function runTransactionsChild(impl: string, raw: Record<string, unknown>): Promise<Measurements> {
  const p = raw as unknown as TransactionsParams;
  const todos = generateTodos(p.transactions, SEED) as Row[];
  const small = generateTodos(p.small, SEED + 1) as Row[];
  if (impl.startsWith("kalphite-")) return kalphite(impl, todos, small, p);
  if (impl.startsWith("tanstack-")) return tanstack(impl, todos, small, p);
  throw new Error(`unknown transactions impl ${impl}`);
}
