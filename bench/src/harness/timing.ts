/**
 * Collects garbage (`passes` full collections) so the next measurement starts
 * from a settled heap. One pass before a timed run; several before reading
 * `heapUsed`, so weak and finalizable leftovers are gone too.
 */
export function collectGarbage(passes = 1): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("bench children need --expose-gc");
  for (let i = 0; i < passes; i++) gc();
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Collects garbage, then waits for the collector's background work to end
 * before a timed run. After a forced full collection V8 sweeps the old space
 * on other threads for a while (about 1 ms per 10 MB of heap here); a run
 * started at once shares the 2 cores with it and pays its lazy sweeping,
 * which made short runs over large heaps look up to 2x slower than they are.
 * The same for every implementation.
 */
export function settleHeap(): void {
  collectGarbage();
  const heapMb = process.memoryUsage().heapUsed / 1e6;
  Atomics.wait(pause, 0, 0, 20 + heapMb / 5);
}

/** Milliseconds since an arbitrary origin, from the monotonic high-resolution clock. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Options of `measure`. */
export interface MeasureOptions<TState> {
  /** Untimed; builds what one run needs. */
  setup: () => TState;
  /** Timed. */
  run: (state: TState) => unknown;
  /**
   * Untimed, after the collection and before the timed run: a few operations
   * of the workload re-warm the CPU caches the forced collection evicted
   * (it walks the whole heap), so a short run measures steady state.
   */
  prime?: (state: TState) => void;
  /** Measured runs. @default 3 */
  reps?: number;
  /** Unmeasured runs first. @default 1 */
  warmup?: number;
  /**
   * Stop measuring once the measured runs took this long in total (at least
   * one run is measured): a pathological case must not stall the whole bench.
   * @default 5000
   */
  budgetMs?: number;
}

/**
 * Runs `setup` then times `run` (not `setup`), `warmup` times unmeasured then
 * up to `reps` times measured, collecting garbage before each run. Returns
 * the median of the measured runs in ms.
 */
export function measure<TState>(options: MeasureOptions<TState>): number {
  const { setup, run, prime, reps = 3, warmup = 1, budgetMs = 5000 } = options;
  const times: number[] = [];
  let spent = 0;
  for (let i = 0; i < warmup + reps; i++) {
    const state = setup();
    settleHeap();
    prime?.(state);
    const start = nowMs();
    sink(run(state));
    const elapsed = nowMs() - start;
    if (i < warmup) continue;
    times.push(elapsed);
    spent += elapsed;
    if (spent > budgetMs) break;
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

/** The async twin of `measure`. */
export async function measureAsync<TState>(options: {
  setup: () => TState | Promise<TState>;
  run: (state: TState) => Promise<unknown>;
  reps?: number;
  warmup?: number;
}): Promise<number> {
  const { setup, run, reps = 3, warmup = 1 } = options;
  const times: number[] = [];
  for (let i = 0; i < warmup + reps; i++) {
    const state = await setup();
    settleHeap();
    const start = nowMs();
    sink(await run(state));
    const elapsed = nowMs() - start;
    if (i >= warmup) times.push(elapsed);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

let blackhole: unknown;
/** Keeps a result reachable so the optimiser cannot drop the work that made it. */
export function sink(value: unknown): void {
  blackhole = value;
}
/** Read by no one on purpose; exported so the write in `sink` is not dead. */
export const readSink = (): unknown => blackhole;
