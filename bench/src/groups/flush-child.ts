import type { MemoryFlushEngine } from "@kalphite/flush";
import { generateTodos, type Todo } from "../data/todos";
import { measure, measureAsync } from "../harness/timing";
import type { Measurements } from "../harness/types";
import type { FlushParams } from "./flush";

const SEED = 7;

type FlushModule = typeof import("@kalphite/flush");

/** The changes of one run: `changes` writes cycling over `todos` (a new object per write after the first pass). */
function changesOver(todos: readonly Todo[], changes: number): Todo[] {
  const out: Todo[] = new Array(changes);
  for (let i = 0; i < changes; i++) {
    const todo = todos[i % todos.length]!;
    out[i] = i < todos.length ? todo : { ...todo, updatedAt: todo.updatedAt + i };
  }
  return out;
}

/** An engine that delivers only on `flush()` (debounce 60 s) into `flushTarget`. */
function engineFor(flush: FlushModule, maxBatchSize: number, flushTarget = flush.createMemoryFlushTarget().target): MemoryFlushEngine {
  const engine = new flush.MemoryFlushEngine({ flushTarget, debounceMs: 60_000, maxBatchSize });
  // Destroying an engine with queued changes reports them; the bench discards them on purpose.
  engine.on("error", () => undefined);
  return engine;
}

/** `Map.set` of every change on a fresh Map: the baseline of both workloads. */
function mapSet(batch: readonly Todo[], reps: number): number {
  return measure({
    setup: () => new Map<string, Todo>(),
    run: (map) => {
      for (let i = 0; i < batch.length; i++) map.set(batch[i]!.id, batch[i]!);
      return map;
    },
    reps,
  });
}

/** Times `scheduleFlush` of every change, nothing delivered. */
function schedule(flush: FlushModule, maxBatchSize: number, batch: readonly Todo[], reps: number): number {
  let previous: MemoryFlushEngine | undefined;
  return measure({
    setup: () => {
      previous?.destroy();
      return (previous = engineFor(flush, maxBatchSize));
    },
    run: (engine) => {
      for (let i = 0; i < batch.length; i++) engine.scheduleFlush(batch[i]!.id, batch[i]!);
      return engine;
    },
    reps,
  });
}

/** Times every change scheduled and delivered: `await engine.flush()` until the in-memory target has them all. */
function throughput(flush: FlushModule, maxBatchSize: number, batch: readonly Todo[], reps: number): Promise<number> {
  return measureAsync({
    setup: () => {
      const memory = flush.createMemoryFlushTarget();
      return { memory, engine: engineFor(flush, maxBatchSize, memory.target) };
    },
    run: async ({ memory, engine }) => {
      for (let i = 0; i < batch.length; i++) engine.scheduleFlush(batch[i]!.id, batch[i]!);
      await engine.flush();
      if (memory.state.size !== batch.length) throw new Error(`target holds ${memory.state.size} of ${batch.length}`);
      return memory;
    },
    reps,
  });
}

/** Runs the flush workloads for the Map baseline (`map`) or the engine (`flush`, `flush-1000`). */
export async function runFlushChild(impl: string, raw: Record<string, unknown>): Promise<Measurements> {
  const { changes, hot, reps, maxBatchSize = 100 } = raw as unknown as FlushParams & { maxBatchSize?: number };
  const distinct = generateTodos(changes, SEED);
  const coalescing = changesOver(generateTodos(hot, SEED + 1), changes);
  if (impl === "map") {
    return { "schedule-distinct": mapSet(distinct, reps), "schedule-coalesce": mapSet(coalescing, reps), throughput: mapSet(distinct, reps) };
  }
  // Imported only by the children that measure the engine.
  const flush = await import("@kalphite/flush");
  return {
    "schedule-distinct": schedule(flush, maxBatchSize, distinct, reps),
    "schedule-coalesce": schedule(flush, maxBatchSize, coalescing, reps),
    throughput: await throughput(flush, maxBatchSize, distinct, reps),
  };
}
