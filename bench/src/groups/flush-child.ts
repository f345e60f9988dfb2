import type { MemoryFlushEngine } from "@kalphite/flush";
import { generateTodos, type Todo } from "../data/todos";
import { measure, measureAsync } from "../harness/timing";
import type { Measurements } from "../harness/types";
import type { FlushParams } from "./flush";

const SEED = 7;

/** The changes of one run: `changes` writes over `distinct` entities (a new object per write). */
function changesOver(todos: readonly Todo[], changes: number): Todo[] {
  const out: Todo[] = new Array(changes);
  for (let i = 0; i < changes; i++) {
    const todo = todos[i % todos.length]!;
    out[i] = i < todos.length ? todo : { ...todo, updatedAt: todo.updatedAt + i };
  }
  return out;
}

// Imported only by the children that measure the engine.
type FlushModule = typeof import("@kalphite/flush");
let flushModule: FlushModule | undefined;
const api = (): FlushModule => flushModule ?? (() => {
  throw new Error("@kalphite/flush not loaded");
})();

function engineFor(maxBatchSize: number, flushTarget = api().createMemoryFlushTarget().target): MemoryFlushEngine {
  const engine = new (api().MemoryFlushEngine)({ flushTarget, debounceMs: 60_000, maxBatchSize });
  // Destroying an engine with queued changes reports them; the bench discards them on purpose.
  engine.on("error", () => undefined);
  return engine;
}

/** Times `scheduleFlush` for every change (engine) or `Map.set` (baseline). */
function schedule(impl: string, maxBatchSize: number, batch: readonly Todo[], reps: number): number {
  if (impl === "map") {
    return measure({
      setup: () => new Map<string, Todo>(),
      run: (map) => {
        for (let i = 0; i < batch.length; i++) map.set(batch[i]!.id, batch[i]!);
        return map;
      },
      reps,
    });
  }
  let previous: MemoryFlushEngine | undefined;
  return measure({
    setup: () => {
      previous?.destroy();
      return (previous = engineFor(maxBatchSize));
    },
    run: (engine) => {
      for (let i = 0; i < batch.length; i++) engine.scheduleFlush(batch[i]!.id, batch[i]!);
      return engine;
    },
    reps,
  });
}

/** Times every change scheduled and delivered: `await engine.flush()` until the in-memory target has them all. */
async function throughput(impl: string, maxBatchSize: number, batch: readonly Todo[], reps: number): Promise<number> {
  if (impl === "map") {
    return measureAsync({
      setup: () => new Map<string, Todo>(),
      run: async (map) => {
        for (let i = 0; i < batch.length; i++) map.set(batch[i]!.id, batch[i]!);
        return map;
      },
      reps,
    });
  }
  return measureAsync({
    setup: () => {
      const memory = api().createMemoryFlushTarget();
      return { memory, engine: engineFor(maxBatchSize, memory.target) };
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
  const params = raw as unknown as FlushParams & { maxBatchSize?: number };
  const maxBatchSize = params.maxBatchSize ?? 100;
  if (impl !== "map") flushModule = await import("@kalphite/flush");
  const distinct = generateTodos(params.changes, SEED);
  const coalescing = changesOver(generateTodos(params.hot, SEED + 1), params.changes);
  return {
    "schedule-distinct": schedule(impl, maxBatchSize, distinct, params.reps),
    "schedule-coalesce": schedule(impl, maxBatchSize, coalescing, params.reps),
    throughput: await throughput(impl, maxBatchSize, distinct, params.reps),
  };
}
