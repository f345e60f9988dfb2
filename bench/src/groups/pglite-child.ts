import type { FrontendDatabase } from "@kalphite/pglite";
import { generateTodos, type Todo } from "../data/todos";
import { measureAsync, nowMs } from "../harness/timing";
import type { Measurements } from "../harness/types";
import type { PgliteParams } from "./pglite";

const SEED = 11;

// The write floor: one transaction of statements of RAW_CHUNK rows, each row set as one JSON
// parameter. Of one statement of 100k rows, 10 of 10k and 100 of 1k (also with
// jsonb_array_elements), 10k was the fastest in a trial here, by a little.
const RAW_UPSERT = `INSERT INTO kalphite_entities (type, id, data)
SELECT r.type, r.id, r.data FROM jsonb_to_recordset($1::jsonb) AS r(type text, id text, data jsonb)
ON CONFLICT (type, id) DO UPDATE SET data = EXCLUDED.data, updated_at = now()`;
const RAW_CHUNK = 10_000;

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
      await db.pglite.transaction(async (tx) => {
        for (let i = 0; i < todos.length; i += RAW_CHUNK) {
          const rows = todos.slice(i, i + RAW_CHUNK).map((todo) => ({ type: todo.type, id: todo.id, data: todo }));
          await tx.query(RAW_UPSERT, [JSON.stringify(rows)]);
        }
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

/**
 * The read floor: every entity as one JSON array (`json_agg`, no order), one
 * `JSON.parse`; ~1.5–2× faster here than a result row per entity, which
 * `rows: true` measures instead.
 */
async function rawHydrate(db: FrontendDatabase, n: number, reps: number, rows: boolean): Promise<number> {
  return measureAsync({
    setup: () => undefined,
    run: async () => {
      let entities: Todo[];
      if (rows) {
        entities = (await db.pglite.query<{ data: Todo }>("SELECT data FROM kalphite_entities")).rows.map((row) => row.data);
      } else {
        const result = await db.pglite.query<[string]>("SELECT json_agg(data)::text FROM kalphite_entities", [], { rowMode: "array" });
        entities = JSON.parse(result.rows[0]![0]) as Todo[];
      }
      if (entities.length !== n) throw new Error(`raw select returned ${entities.length} of ${n}`);
      return entities;
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
      const { loaded } = await hydrate(store, db);
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
 * One PGlite per child (start-up untimed): `raw` measures the floors (and a
 * row-per-entity select), `kalphite` the flush engine (default batches, then
 * 1000) and hydrate. Values keyed `workload@impl` land on another row.
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
      out.hydrate = await rawHydrate(db, n, reps, false);
      out["hydrate@raw-rows"] = await rawHydrate(db, n, reps, true);
    } else {
      // Headline: what createKalphite wires (PGLITE_FLUSH_DEFAULTS, 1,000 per batch); the engine's own default beside it.
      out["write@kalphite-100"] = await engineWrite(db, todos, reps, 100);
      out.write = await engineWrite(db, todos, reps, 1000);
      if ((await count(db)) !== n) throw new Error("flush engine lost rows");
      out.hydrate = await storeHydrate(db, n, reps, false);
    }
  } finally {
    await db.close();
  }
  return out;
}
