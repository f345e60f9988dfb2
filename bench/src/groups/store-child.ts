import { createRandom, distinctIndices, editedTodo, generateTodos, randomIndices, type Todo } from "../data/todos";
import { collectGarbage, measure, nowMs, sink } from "../harness/timing";
import type { Measurements } from "../harness/types";
import type { TodoStore, TodoStoreFactory } from "../impls/todo-store";
import type { StoreParams } from "./store";

// Loaded lazily: a child imports only the implementation it measures.
const FACTORIES: Record<string, () => Promise<TodoStoreFactory>> = {
  map: async () => {
    const { MapStore } = await import("../impls/map-store");
    return () => new MapStore();
  },
  kalphite: async () => {
    const { KalphiteTodoStore } = await import("../impls/kalphite-store");
    return () => new KalphiteTodoStore({ freeze: false });
  },
  "kalphite-freeze": async () => {
    const { KalphiteTodoStore } = await import("../impls/kalphite-store");
    return () => new KalphiteTodoStore({ freeze: true });
  },
  "map-swap": async () => {
    const { MapSwapStore } = await import("../impls/map-swap-store");
    return () => new MapSwapStore();
  },
  tinybase: async () => {
    const { TinybaseTodoStore } = await import("../impls/tinybase-store");
    return () => new TinybaseTodoStore();
  },
  legend: async () => {
    const { LegendTodoStore } = await import("../impls/legend-store");
    return () => new LegendTodoStore();
  },
  tanstack: async () => {
    const { TanstackTodoStore } = await import("../impls/tanstack-store");
    return () => new TanstackTodoStore();
  },
};

const SEED = 42;
/** The view every `filter` run computes: open, high-priority todos (~28 % of rows). */
const isOpenAndUrgent = (todo: Todo): boolean => !todo.completed && todo.priority >= 3;

/** A store loaded with `todos`, one subscriber attached, and a check that it heard every change. */
interface Loaded {
  readonly store: TodoStore;
  readonly todos: readonly Todo[];
  expect(count: number, what: string): void;
}

/**
 * Bytes per entity of the entities alone, and of what the store adds on top
 * after a bulk load; the loaded store is returned for the next workloads.
 */
function heapPerEntity(make: TodoStoreFactory, n: number): { entities: number; overhead: number; loadMs: number; loaded: Loaded } {
  collectGarbage(3);
  const before = process.memoryUsage().heapUsed;
  const todos = generateTodos(n, SEED);
  collectGarbage(3);
  const withEntities = process.memoryUsage().heapUsed;
  const store = make();
  const start = nowMs();
  store.bulkLoad(todos);
  const loadMs = nowMs() - start;
  collectGarbage(3);
  const withStore = process.memoryUsage().heapUsed;
  if (store.size() !== todos.length) throw new Error(`bulk load stored ${store.size()} of ${todos.length}`);
  const seen = store.subscribeCounting();
  let expected = 0;
  const expect = (count: number, what: string) => {
    expected += count;
    if (seen() !== expected) throw new Error(`${what}: the listener saw ${seen()} changes, expected ${expected}`);
  };
  return { entities: (withEntities - before) / n, overhead: (withStore - withEntities) / n, loadMs, loaded: { store, todos, expect } };
}

function findById(store: Pick<TodoStore, "findById">, { todos }: Loaded, { n, finds, reps }: StoreParams, warmup: number): number {
  const ids = Array.from(randomIndices(finds, n, SEED + 3), (i) => todos[i]!.id);
  return measure({
    setup: () => ids,
    run: (ids) => {
      let sum = 0;
      for (let i = 0; i < ids.length; i++) sum += store.findById(ids[i]!)!.priority;
      return sum;
    },
    reps,
    warmup,
  });
}

/** ms per filter pass; each timed run makes enough passes to take ~50 ms (at most `filters`). */
function filter({ store }: Loaded, { filters, reps }: StoreParams, warmup: number): number {
  const begin = nowMs();
  const matching = store.filter(isOpenAndUrgent).length;
  const passes = Math.max(1, Math.min(filters, Math.ceil(50 / Math.max(nowMs() - begin, 0.01))));
  const perRun = measure({
    setup: () => store,
    run: (store) => {
      let total = 0;
      for (let i = 0; i < passes; i++) total += store.filter(isOpenAndUrgent).length;
      if (total !== matching * passes) throw new Error("filter results differ between runs");
      return total;
    },
    reps,
    warmup,
  });
  return perRun / passes;
}

/** Each run writes new versions of a fresh random sample of existing todos. */
function updates({ store, todos, expect }: Loaded, { n, updates, reps }: StoreParams, warmup: number): number {
  const random = createRandom(SEED + 2);
  let at = Date.now();
  return measure({
    setup: () => Array.from(randomIndices(updates, n, (random() * 2 ** 31) | 0), (i) => editedTodo(todos[i]!, random, at++)),
    run: (edits) => {
      for (let i = 0; i < edits.length; i++) store.replace(edits[i]!);
      expect(edits.length, "updates");
    },
    reps,
    warmup,
  });
}

/**
 * Each run deletes distinct random todos; the previous run's are put back
 * first (untimed) so every run starts from `n`. The warm-up deletes a tenth
 * as many (deletes are O(n) each; a full warm-up would double the time).
 */
function deletes({ store, todos, expect }: Loaded, { n, deletes, reps }: StoreParams, warmup: number): number {
  let victims: Todo[] = [];
  let round = 0;
  return measure({
    setup: () => {
      for (const todo of victims) store.upsert(todo);
      expect(victims.length, "re-inserts");
      if (store.size() !== n) throw new Error(`deletes start from ${store.size()}, not ${n}`);
      const count = round < warmup ? Math.ceil(deletes / 10) : deletes;
      victims = distinctIndices(count, n, SEED + 4 + round++).map((i) => store.findById(todos[i]!.id)!);
      return victims.map((todo) => todo.id);
    },
    run: (ids) => {
      for (let i = 0; i < ids.length; i++) store.remove(ids[i]!);
      expect(ids.length, "deletes");
    },
    reps,
    warmup,
  });
}

function bulkLoad(make: TodoStoreFactory, { n, reps }: StoreParams, warmup: number): number {
  return measure({
    setup: () => ({ store: make(), todos: generateTodos(n, SEED) }),
    run: ({ store, todos }) => {
      store.bulkLoad(todos);
      return store;
    },
    reps,
    warmup,
  });
}

/** Each run upserts new todos one by one into an empty store with one subscriber. */
function singleUpserts(make: TodoStoreFactory, { singles, reps }: StoreParams, warmup: number): number {
  let round = 0;
  return measure({
    setup: () => {
      const store = make();
      const seen = store.subscribeCounting();
      return { store, seen, todos: generateTodos(singles, SEED + 1 + round++) };
    },
    run: ({ store, seen, todos }) => {
      for (let i = 0; i < todos.length; i++) store.upsert(todos[i]!);
      if (seen() !== todos.length) throw new Error(`listener saw ${seen()} of ${todos.length} upserts`);
      return store;
    },
    reps,
    warmup,
  });
}

/** Each run upserts `n` new todos into an empty store with one subscriber, in one batch (or transaction, with patches). */
function batchUpserts(make: TodoStoreFactory, { n, reps }: StoreParams, warmup: number, patches: boolean): number {
  let round = 0;
  return measure({
    setup: () => {
      const store = make();
      const seen = store.subscribeCounting();
      return { store, seen, todos: generateTodos(n, SEED + 7 + round++) };
    },
    run: ({ store, seen, todos }) => {
      const produced = store.batchUpserts!(todos, patches);
      if (seen() !== todos.length) throw new Error(`listener saw ${seen()} of ${todos.length} batched upserts`);
      if (patches && produced !== 2 * todos.length) throw new Error(`the transaction reported ${produced} patches, expected ${2 * todos.length}`);
      return store;
    },
    reps,
    warmup,
  });
}

const sizeLabel = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);

/**
 * Runs the store workloads for one implementation (all, or `params.only`);
 * values in ms, heap in bytes per entity. Heap goes first, while the process
 * is fresh; its loaded store then serves findById and filter (on entities
 * allocated in order), updates and deletes, and is dropped before the bulk
 * load and single upserts, which build their own stores.
 */
export async function runStoreChild(impl: string, raw: Record<string, unknown>): Promise<Measurements> {
  const params = raw as unknown as StoreParams;
  const load = FACTORIES[impl];
  if (load === undefined) throw new Error(`unknown store impl "${impl}"`);
  const make = await load();
  const wanted = (id: string) => params.only === undefined || params.only.includes(id);
  // TanStack DB takes seconds per workload: long enough to warm itself up, so
  // no warm-up runs, and its first bulk load (the heap measurement's) is the sample.
  const slow = impl === "tanstack";
  const warmup = slow ? 0 : 1;
  const p: StoreParams = slow ? { ...params, reps: 1 } : params;
  const out: Measurements = {};
  const step = (id: string, fn: () => number) => {
    if (!wanted(id.split("@")[0]!)) return;
    const start = nowMs();
    out[id] = fn();
    if (process.env.BENCH_VERBOSE) console.error(`  [${impl}] ${id}: ${(nowMs() - start).toFixed(0)} ms`);
  };

  // In a function of its own so the loaded store is garbage once it returns.
  const onLoadedStore = () => {
    const heap = heapPerEntity(make, p.n);
    if (wanted("heap")) {
      out["heap-entities"] = heap.entities;
      out["heap-overhead"] = heap.overhead;
      out["heap-total"] = heap.entities + heap.overhead;
    }
    if (slow) step("bulk-load", () => heap.loadMs);
    const { loaded } = heap;
    step("find-by-id", () => findById(loaded.store, loaded, p, warmup));
    const hoisted = loaded.store.hoisted?.();
    if (hoisted) step(`find-by-id@${impl}-hoisted`, () => findById(hoisted, loaded, p, warmup));
    step("filter", () => filter(loaded, p, warmup));
    step("updates", () => updates(loaded, p, warmup));
    step("deletes", () => deletes(loaded, p, warmup));
  };
  onLoadedStore();

  if (!slow) step("bulk-load", () => bulkLoad(make, p, warmup));
  step("single-upserts", () => singleUpserts(make, p, warmup));
  // The delete row again at other collection sizes, each on a store of its own.
  for (const size of p.deleteSizes ?? []) {
    step(`deletes-${sizeLabel(size)}`, () => {
      const { loaded } = heapPerEntity(make, size);
      return deletes(loaded, { ...p, n: size }, warmup);
    });
  }
  const probe = make();
  if (probe.batchUpserts !== undefined) {
    step("batch-upserts", () => batchUpserts(make, p, warmup, false));
    // Transactions exist in Kalphite only: filed under their own row, measured in the same process.
    if (impl === "kalphite") step("batch-upserts@kalphite-transaction", () => batchUpserts(make, p, warmup, true));
  }
  return out;
}
