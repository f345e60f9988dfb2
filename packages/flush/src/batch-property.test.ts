import type { BaseEntity } from "@kalphite/store";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { NonRetriableError } from "./errors";
import { MemoryFlushEngine } from "./memory-flush-engine";
import { createMemoryFlushTarget, flushKey } from "./memory-flush-target";
import { useFakeTimersPerTest } from "./test-helpers";
import type { FlushBatchContext, FlushChange, FlushTarget } from "./types";

useFakeTimersPerTest();

const change = fc.record({
  type: fc.constantFrom("todo", "note"),
  id: fc.constantFrom("1", "2", "3", "4", "5"),
  op: fc.constantFrom("upsert", "upsert", "upsert", "delete"),
  poison: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
});
const step = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("batch" as const), changes: fc.array(change, { minLength: 1, maxLength: 4 }), cursor: fc.option(fc.nat(), { freq: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 150 }) }) },
);
const options = fc.record({
  debounceMs: fc.integer({ min: 0, max: 50 }),
  maxWaitMs: fc.integer({ min: 0, max: 100 }),
  maxRetries: fc.integer({ min: 0, max: 2 }),
  baseRetryDelay: fc.integer({ min: 0, max: 20 }),
  maxBatchSize: fc.integer({ min: 1, max: 6 }),
});

interface Written {
  readonly batchId: string;
  readonly keys: ReadonlySet<string>;
}

describe("store batches through failures (property)", () => {
  it("after flush(), the target equals the model apart from the reported dead letters; no store batch is ever partly applied or overtaken", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { maxLength: 30 }),
        fc.array(fc.boolean(), { maxLength: 10 }),
        fc.integer({ min: 0, max: 30 }),
        options,
        fc.boolean(),
        async (steps, temporary, latency, config, nameOffenders) => {
          const memory = createMemoryFlushTarget();
          const written: Written[] = [];
          const order = new Map<string, number>(); // batchId → position in scheduling order
          const applied: string[] = [];
          let call = 0;
          const target: FlushTarget = async (changes: FlushChange[], context: FlushBatchContext) => {
            const fail = temporary[call++] ?? false;
            await new Promise((resolve) => setTimeout(resolve, latency));
            if (fail) throw new Error("temporary");
            const poisoned = changes.filter((c) => (c.entity as { poison?: boolean } | undefined)?.poison === true);
            if (poisoned.length > 0) throw new NonRetriableError("refused", nameOffenders ? { changes: poisoned } : undefined);
            // every change belongs to a batch of the call; every batch of the call is complete in it
            const ids = new Set(context.batchIds);
            for (const c of changes) expect(ids.has(c.batchId)).toBe(true);
            const present = new Map(changes.map((c) => [flushKey(c.entityType, c.entityId), order.get(c.batchId)!]));
            for (const batchId of context.batchIds) {
              for (const key of written[order.get(batchId)!]!.keys) {
                // the entity is in the call, as of this batch or a later one of the same call
                expect(present.get(key)).toBeGreaterThanOrEqual(order.get(batchId)!);
              }
            }
            await memory.target(changes, context);
            applied.push(...context.batchIds);
          };
          const engine = new MemoryFlushEngine({ flushTarget: target, random: () => 0.5, ...config });
          const deadReported = new Set<string>();
          engine.on("error", () => {});
          let deadEvents = 0;
          engine.on("dead", (event) => {
            deadEvents++;
            event.deadLetters.forEach((letter) => letter.batchIds.forEach((id) => deadReported.add(id)));
          });

          const model = new Map<string, BaseEntity>();
          let cursor: number | undefined;
          let v = 0;
          for (const s of steps) {
            if (s.kind === "wait") {
              await vi.advanceTimersByTimeAsync(s.ms);
              continue;
            }
            const batchId = `b${written.length}`;
            const keys = new Set<string>();
            const changes = s.changes.map((c) => {
              const key = flushKey(c.type, c.id);
              keys.add(key);
              if (c.op === "delete") {
                model.delete(key);
                return { operation: "delete" as const, entityType: c.type, entityId: c.id, origin: "local" as const };
              }
              const entity = { id: c.id, type: c.type, v: v++, ...(c.poison ? { poison: true } : {}) };
              model.set(key, entity);
              return { operation: "upsert" as const, entityType: c.type, entityId: c.id, entity, origin: "local" as const };
            });
            order.set(batchId, written.length);
            written.push({ batchId, keys });
            if (s.cursor !== null) cursor = s.cursor;
            engine.scheduleBatch({ batchId, changes, ...(s.cursor === null ? {} : { meta: { cursor: s.cursor } }) });
          }
          for (let round = 0; ; round++) {
            expect(round).toBeLessThan(temporary.length + 2);
            const flushed = engine.flush();
            flushed.catch(() => undefined);
            await vi.runAllTimersAsync();
            if (await flushed.then(() => true, () => false)) break;
          }

          const dead = engine.getDeadLetters();
          const deadKeys = new Set(dead.map((letter) => letter.key));
          const expected = new Map([...model].filter(([key]) => !deadKeys.has(key)));
          const actual = new Map([...memory.state].filter(([key]) => !deadKeys.has(key)));
          expect(actual).toEqual(expected);
          // nothing poisoned is durable; every dead letter was reported
          for (const entity of memory.state.values()) expect((entity as { poison?: boolean }).poison).toBeUndefined();
          for (const letter of dead) expect(deadReported.has(letter.batchId)).toBe(true);
          // batches are applied in scheduling order, each once; the others were dead-lettered (reported)
          const positions = applied.map((id) => order.get(id)!);
          expect(positions).toEqual([...positions].sort((a, b) => a - b));
          expect(new Set(applied).size).toBe(applied.length);
          for (const [n, { batchId, keys }] of written.entries()) {
            const superseded = [...keys].every((key) => written.slice(n + 1).some((later) => later.keys.has(key)));
            expect(applied.includes(batchId) || deadReported.has(batchId) || superseded).toBe(true);
          }
          if (deadEvents === 0) expect(memory.getMeta("cursor")).toBe(cursor); // a refused batch's metadata is not written
          expect(engine.getQueuedChanges()).toEqual([]);
          expect(vi.getTimerCount()).toBe(0);
          engine.destroy();
        },
      ),
      { numRuns: 250 },
    );
  });
});
