import { createRandom, generateTodos, type Todo } from "../data/todos";
import { measure, nowMs } from "../harness/timing";
import type { Measurements } from "../harness/types";
import type { LiveFilterImpl } from "../impls/live-filter";
import { isOpen, newestFirst, type LiveViewImpl } from "../impls/live-view";
import type { LiveParams } from "./live";

const SEED = 5;
/** Longest a measured run should take. */
const RUN_BUDGET_MS = 1000;
/** The warm-up makes up to this many times the updates of a measured run (1 s at most): the JIT settles first. */
const WARMUP_FACTOR = 10;
/** Untimed updates between the forced collection and each timed run (a fifth of the run, at most 1,000): caches re-warm. */
const primeCount = (count: number) => Math.min(1000, Math.ceil(count / 5));

const IMPLS: Record<string, () => Promise<LiveViewImpl>> = {
  recompute: async () => new (await import("../impls/live-recompute")).RecomputeView(),
  kalphite: async () => new (await import("../impls/live-kalphite")).KalphiteLiveView(),
  tinybase: async () => new (await import("../impls/live-peers")).TinybaseLiveView(),
  legend: async () => new (await import("../impls/live-peers")).LegendLiveView(),
  tanstack: async () => new (await import("../impls/live-tanstack")).TanstackLiveView(),
};

const FILTER_IMPLS: Record<string, () => Promise<LiveFilterImpl>> = {
  set: async () => new (await import("../impls/live-filter-impls")).SetFilterView(),
  kalphite: async () => new (await import("../impls/live-filter-impls")).KalphiteFilterView(),
  tinybase: async () => new (await import("../impls/live-filter-impls")).TinybaseFilterView(),
  legend: async () => new (await import("../impls/live-filter-impls")).LegendFilterView(),
  tanstack: async () => new (await import("../impls/live-filter-impls")).TanstackFilterView(),
};

/**
 * The update sequence, identical for every implementation: a random row gets
 * a new version; half the time the newest `updatedAt` (to the top of the
 * view), otherwise a random one within the loaded range; one in five also
 * flips `completed`. `current` tracks each row's latest version.
 */
function createEdits(todos: readonly Todo[]) {
  const random = createRandom(SEED + 1);
  const current = [...todos];
  const first = todos[0]!.updatedAt;
  const span = todos[todos.length - 1]!.updatedAt - first;
  let newest = first + span + 1;
  return (count: number): Todo[] => {
    const edits: Todo[] = new Array(count);
    for (let k = 0; k < count; k++) {
      const i = (random() * current.length) | 0;
      const prev = current[i]!;
      const updatedAt = random() < 0.5 ? newest++ : first + Math.floor(random() * span);
      const completed = random() < 0.2 ? !prev.completed : prev.completed;
      const next: Todo = { id: prev.id, type: "todo", title: prev.title, completed, priority: prev.priority, tags: prev.tags, updatedAt };
      current[i] = next;
      edits[k] = next;
    }
    return edits;
  };
}

/** The view must hold the open rows in `updatedAt` order (ties may differ between implementations). */
function check(impl: LiveViewImpl): void {
  const expected = impl.all().filter(isOpen).sort(newestFirst);
  const actual = impl.snapshot();
  if (actual.length !== expected.length) throw new Error(`view holds ${actual.length} rows, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    if (actual[i]!.updatedAt !== expected[i]!.updatedAt || actual[i]!.completed) {
      throw new Error(`view row ${i} is ${actual[i]!.id}@${actual[i]!.updatedAt}, expected updatedAt ${expected[i]!.updatedAt}`);
    }
  }
}

/**
 * The toggle sequence, identical for every implementation: a random row's
 * `completed` flips (it leaves the view of open todos, or enters it, at its
 * place in collection order). `current` tracks each row's latest version.
 */
function createToggles(todos: readonly Todo[]) {
  const random = createRandom(SEED + 2);
  const current = [...todos];
  return (count: number): Todo[] => {
    const edits: Todo[] = new Array(count);
    for (let k = 0; k < count; k++) {
      const i = (random() * current.length) | 0;
      const prev = current[i]!;
      const next: Todo = { id: prev.id, type: "todo", title: prev.title, completed: !prev.completed, priority: prev.priority, tags: prev.tags, updatedAt: prev.updatedAt };
      current[i] = next;
      edits[k] = next;
    }
    return edits;
  };
}

/** Runs `write` + `read` pairs: a warm-up whose pace sets how many updates a measured run makes; µs per pair. */
function measurePairs<E>(next: (count: number) => E[], step: (edit: E) => number, updates: number, reps: number): { perUpdate: number; count: number; warmed: number; warmupMs: number } {
  const run = (edits: readonly E[]) => {
    let sum = 0;
    for (let i = 0; i < edits.length; i++) sum += step(edits[i]!);
    return sum;
  };
  const start = nowMs();
  let warmed = 0;
  while (warmed < updates * WARMUP_FACTOR && (warmed < 2 || nowMs() - start < 1000)) {
    run(next(1));
    warmed++;
  }
  const warmupMs = nowMs() - start;
  const count = Math.min(updates, Math.max(5, Math.floor(RUN_BUDGET_MS / (warmupMs / warmed))));
  const primed = primeCount(count);
  const perRun = measure({
    setup: () => ({ prime: next(primed), edits: next(count) }),
    prime: ({ prime }) => void run(prime),
    run: ({ edits }) => run(edits),
    reps,
    warmup: 0,
  });
  return { perUpdate: (perRun * 1000) / count, count, warmed, warmupMs };
}

/** µs per (toggle one row + read the filtered view's length). */
async function runFilterChild(impl: string, { n, updates, reps }: LiveParams): Promise<Measurements> {
  const make = FILTER_IMPLS[impl];
  if (make === undefined) throw new Error(`unknown live filter impl "${impl}"`);
  const view = await make();
  const todos = generateTodos(n, SEED);
  const start = nowMs();
  await view.load(todos);
  const loadMs = nowMs() - start;
  const result = measurePairs(
    createToggles(todos),
    (edit: Todo) => {
      view.write(edit);
      return view.count();
    },
    updates,
    reps,
  );
  // The view must hold exactly the open rows.
  const expected = view.all().filter((t) => !t.completed).map((t) => t.id).sort();
  const actual = view.ids().sort();
  if (actual.length !== expected.length || actual.some((id, i) => id !== expected[i])) {
    throw new Error(`filtered view holds ${actual.length} rows, expected ${expected.length}`);
  }
  if (view.count() !== expected.length) throw new Error(`filtered view length ${view.count()}, expected ${expected.length}`);
  if (process.env.BENCH_VERBOSE) console.error(`  [live filter ${impl} ${n}] load ${loadMs.toFixed(0)} ms, ${result.count} toggles`);
  const size = n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`;
  return { [`toggle-read-${size}`]: result.perUpdate, [`toggles-used-${size}`]: result.count, [`filter-load-ms-${size}`]: loadMs };
}

/** µs per (update + read of the view) for one implementation at one collection size. */
export async function runLiveChild(impl: string, raw: Record<string, unknown>): Promise<Measurements> {
  if (raw.workload === "filtered") return runFilterChild(impl, raw as unknown as LiveParams);
  const { n, updates, reps } = raw as unknown as LiveParams;
  const make = IMPLS[impl];
  if (make === undefined) throw new Error(`unknown live impl "${impl}"`);
  const view = await make();
  const todos = generateTodos(n, SEED);
  let start = nowMs();
  await view.load(todos);
  const loadMs = nowMs() - start;
  const nextEdits = createEdits(todos);

  const run = (edits: readonly Todo[]) => {
    let sum = 0;
    for (let i = 0; i < edits.length; i++) {
      view.write(edits[i]!);
      sum += view.read();
    }
    return sum;
  };
  // Warm-up: up to 10x the updates of a measured run, or 1 s (the JIT settles). Its pace sets how many updates a measured run
  // makes: `updates`, unless that would take more than RUN_BUDGET_MS (a slow
  // implementation or a recompute at 1M rows); the cost reported is per update either way.
  start = nowMs();
  let warmed = 0;
  while (warmed < updates * WARMUP_FACTOR && (warmed < 2 || nowMs() - start < 1000)) {
    run(nextEdits(1));
    warmed++;
  }
  const warmupMs = nowMs() - start;
  const count = Math.min(updates, Math.max(5, Math.floor(RUN_BUDGET_MS / (warmupMs / warmed))));
  const primed = primeCount(count);
  const perRun = measure({
    setup: () => ({ prime: nextEdits(primed), edits: nextEdits(count) }),
    prime: ({ prime }) => void run(prime),
    run: ({ edits }) => run(edits),
    reps,
    warmup: 0,
  });
  check(view);
  if (process.env.BENCH_VERBOSE) {
    console.error(`  [live ${impl} ${n}] load ${loadMs.toFixed(0)} ms, warm-up ${warmed} in ${warmupMs.toFixed(0)} ms, ${count} updates in ${perRun.toFixed(0)} ms`);
  }
  const size = n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`;
  return { [`update-read-${size}`]: (perRun * 1000) / count, [`updates-used-${size}`]: count, [`load-ms-${size}`]: loadMs };
}
