import type { FrontendDatabase } from "@kalphite/pglite";
import { generateTodos, type Todo } from "../data/todos";
import { measureAsync, nowMs } from "../harness/timing";
import type { Measurements } from "../harness/types";
import type { PgliteParams } from "./pglite";

const SEED = 11;

// The floor: one statement, one transaction, the rows as one JSON parameter.
const RAW_UPSERT = `INSERT INTO kalphite_entities (type, id, data)
SELECT r.type, r.id, r.data FROM jsonb_to_recordset($1::jsonb) AS r(type text, id text, data jsonb)
ON CONFLICT (type, id) DO UPDATE SET data = EXCLUDED.data, updated_at = now()`;

async function truncate(db: FrontendDatabase): Promise<void> {
  await db.pglite.exec("TRUNCATE kalphite_entities");
}

/** One untimed run on a tenth of the rows warms the code paths (JIT and PGlite) for the timed runs. */
const warmupSlice = (todos: readonly Todo[]) => todos.slice(0, Math.ceil(todos.length / 10));

async function rawWrite(db: FrontendDatabase, todos: readonly Todo[], reps: number, warmup = true): Promise<number> {
  if (warmup) await rawWrite(db, warmupSlice(todos), 1, false);
  return measureAsync({
    setup: () => truncate(db),
    run: async () => {
      const payload = JSON.stringify(todos.map((todo) => ({ type: todo.type, id: todo.id, data: todo })));
      await db.pglite.transaction(async (tx) => {
        await tx.query(RAW_UPSERT, [payload]);
      });
    },
    reps,
    warmup: 0,
  });
}

async function engineWrite(db: FrontendDatabase, todos: readonly Todo[], reps: number, maxBatchSize: number, warmup = true): Promise<number> {
  const { MemoryFlushEngine } = await import("@kalphite/flush");
  const { createFlushTarget } = await import("@kalphite/pglite");
  if (warmup) await engineWrite(db, warmupSlice(todos), 1, maxBatchSize, false);
  return measureAsync({
    setup: async () => {
      await truncate(db);
      return new MemoryFlushEngine({ flushTarget: createFlushTarget(db), maxBatchSize });
    },
    run: async (engine) => {
      for (let i = 0; i < todos.length; i++) engine.scheduleFlush(todos[i]!.id, todos[i]!);
      await engine.flush();
      return engine;
    },
    reps,
    warmup: 0,
  });
}

async function rawHydrate(db: FrontendDatabase, n: number, reps: number): Promise<number> {
  return measureAsync({
    setup: () => undefined,
    run: async () => {
      const { rows } = await db.pglite.query<{ data: Todo }>("SELECT data FROM kalphite_entities");
      if (rows.length !== n) throw new Error(`raw select returned ${rows.length} of ${n}`);
      return rows;
    },
    reps,
  });
}

async function storeHydrate(db: FrontendDatabase, n: number, reps: number, freeze: boolean): Promise<number> {
  const { hydrate } = await import("@kalphite/pglite");
  const { KalphiteStore } = await import("@kalphite/store");
  return measureAsync({
    setup: () => KalphiteStore<Todo>(undefined, { freeze }),
    run: async (store) => {
      const loaded = await hydrate(store, db);
      if (loaded !== n || store.todo.length !== n) throw new Error(`hydrate loaded ${loaded} of ${n}`);
      return store;
    },
    reps,
  });
}

async function count(db: FrontendDatabase): Promise<number> {
  const { rows } = await db.pglite.query<{ n: number }>("SELECT count(*)::int AS n FROM kalphite_entities");
  return rows[0]?.n ?? 0;
}

/**
 * One PGlite per child (start-up untimed): `raw` measures the floor, and
 * `kalphite` the flush engine (default batches, then 1000) and hydrate
 * (freeze off, then on). Values keyed `workload@impl` land on another row.
 */
export async function runPgliteChild(impl: string, raw: Record<string, unknown>): Promise<Measurements> {
  const { n, reps } = raw as unknown as PgliteParams;
  const { FrontendDatabase } = await import("@kalphite/pglite");
  const todos = generateTodos(n, SEED);
  const start = nowMs();
  const db = new FrontendDatabase({ dbName: "memory://" });
  await db.init();
  const startup = nowMs() - start;
  const out: Measurements = { startup };
  try {
    if (impl === "raw") {
      out.write = await rawWrite(db, todos, reps);
      if ((await count(db)) !== n) throw new Error("raw write lost rows");
      out.hydrate = await rawHydrate(db, n, reps);
    } else {
      out["write@kalphite-1000"] = await engineWrite(db, todos, reps, 1000);
      out.write = await engineWrite(db, todos, reps, 100);
      if ((await count(db)) !== n) throw new Error("flush engine lost rows");
      out.hydrate = await storeHydrate(db, n, reps, false);
      out["hydrate@kalphite-freeze"] = await storeHydrate(db, n, reps, true);
    }
  } finally {
    await db.close();
  }
  return out;
}
