/**
 * The whole pipeline as one property (issue 9, "Tests"): random writes —
 * strings over the full Unicode range, random JSON — in random `store.batch`
 * / `store.transaction` boundaries, through a real `MemoryFlushEngine` into
 * the real PGlite target, with temporary failures (before and after the data
 * is written) and permanent ones (a CHECK constraint the database enforces);
 * then `flush()`, close, reopen the directory and hydrate. The reopened store
 * equals the in-memory one except for the reported dead letters, and every
 * target call the database applied holds whole store batches.
 */
import { MemoryFlushEngine, type FlushBatchContext, type FlushChange, type FlushTarget } from "@kalphite/flush";
import { KalphiteError, KalphiteStore, type BaseEntity, type ChangeBatch, type ChangeSink } from "@kalphite/store";
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createFlushTarget } from "./flush-target";
import { createFrontendDatabase, type FrontendDatabase } from "./frontend-database";
import { hydrate } from "./hydrate";

const dir = mkdtempSync(join(tmpdir(), "kalphite-pipeline-"));
let db: FrontendDatabase;
beforeAll(async () => {
  db = await createFrontendDatabase({ dbName: dir });
  // What the database refuses for good: the engine must dead-letter it, not wedge.
  await db.pglite.exec("ALTER TABLE kalphite_entities ADD CONSTRAINT no_poison CHECK (NOT data ? 'poison')");
});
afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

type Data = { v: unknown; s: string; poison?: true };
type Op = { kind: "upsert"; type: string; id: string; data: Data } | { kind: "delete"; type: string; id: string };
type Command =
  | Op
  | { kind: "batch"; ops: Op[]; cursor: boolean }
  | { kind: "transaction"; ops: Op[]; fail: boolean }
  | { kind: "upsertMany"; type: string; items: { id: string; data: Data }[] }
  | { kind: "flush" };

const text = fc.oneof(fc.string({ unit: "binary", maxLength: 12 }), fc.constantFrom("\u0000", "a\u0000b", "\uFDD0", "\uFDD00", "😀～"));
const data: fc.Arbitrary<Data> = fc.record({
  v: fc.jsonValue({ stringUnit: "binary", maxDepth: 2 }),
  s: text,
  poison: fc.option(fc.constant(true as const), { freq: 8, nil: undefined }),
}).map(({ poison, ...rest }) => (poison === undefined ? rest : { ...rest, poison }));
const type = fc.constantFrom("a", "b");
const id = fc.constantFrom("1", "2", "3", "\u0000", "😀");
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("upsert" as const), type, id, data }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), type, id }) },
);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: op },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("batch" as const), ops: fc.array(op, { minLength: 1, maxLength: 4 }), cursor: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("transaction" as const), ops: fc.array(op, { minLength: 1, maxLength: 4 }), fail: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("upsertMany" as const), type, items: fc.uniqueArray(fc.record({ id, data }), { selector: (i) => i.id, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "flush" as const }) },
);
/** Per target call: fail temporarily before writing, after writing (a lost acknowledgement), or not. */
const fault = fc.constantFrom("none", "none", "none", "before", "after");

const keyOf = (type: string, id: string) => `${type}\u0000${id}`;
/** As the JSON it is stored as (-0 is 0 there). */
const asJson = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

interface AppliedCall {
  readonly keys: ReadonlySet<string>;
  readonly context: FlushBatchContext;
}

it("store → flush → PGlite → reopen → hydrate gives the store back, apart from the dead letters; no store batch is half-durable (property)", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 14 }), fc.infiniteStream(fault), fc.integer({ min: 1, max: 4 }), async (commands, faults, maxBatchSize) => {
      await db.pglite.exec("DELETE FROM kalphite_entities; DELETE FROM kalphite_meta;");
      const real = createFlushTarget(db);
      const applied: AppliedCall[] = [];
      let previousFailed = false;
      const faultIterator = faults[Symbol.iterator]();
      const target: FlushTarget = async (changes: FlushChange[], context: FlushBatchContext) => {
        // Never two temporary failures in a row: the retries (maxRetries 3) always get through.
        const next = previousFailed ? "none" : faultIterator.next().value;
        previousFailed = next !== "none";
        if (next === "before") throw new Error("temporary: database busy");
        await real(changes, context);
        applied.push({ keys: new Set(changes.map((c) => keyOf(c.entityType, c.entityId))), context });
        if (next === "after") throw new Error("temporary: the acknowledgement was lost");
      };
      const engine = new MemoryFlushEngine({ flushTarget: target, debounceMs: 1, maxWaitMs: 2, maxRetries: 3, baseRetryDelay: 1, maxRetryDelay: 2, maxBatchSize, random: () => 0 });
      engine.on("error", () => undefined); // dead letters are checked below
      const batches: ChangeBatch<BaseEntity>[] = [];
      const sink: ChangeSink = {
        scheduleFlush: (entityId, entity) => engine.scheduleFlush(entityId, entity),
        scheduleDelete: (entityId, entityType) => engine.scheduleDelete(entityId, entityType),
        scheduleBatch: (batch) => {
          engine.scheduleBatch(batch);
          batches.push(batch);
        },
      };
      const store = KalphiteStore(undefined, { sink });
      let cursor = 0;
      const apply = (o: Op) => {
        if (o.kind === "upsert") store.getByType(o.type).upsert(o.id, o.data as never);
        else if (store.getById(o.type, o.id) !== undefined) store.getByType(o.type).delete(o.id);
      };
      const tolerant = (fn: () => void) => {
        try {
          fn();
        } catch (error) {
          if (!(error instanceof KalphiteError) && !(error instanceof Error && error.message === "abort")) throw error;
        }
      };

      for (const c of commands) {
        if (c.kind === "flush") await engine.flush();
        else if (c.kind === "batch") tolerant(() => store.batch(() => c.ops.forEach((o) => tolerant(() => apply(o))), c.cursor ? { meta: { cursor: ++cursor } } : undefined));
        else if (c.kind === "transaction") {
          tolerant(() =>
            store.transaction(() => {
              for (const o of c.ops) apply(o);
              if (c.fail) throw new Error("abort");
            }),
          );
        } else if (c.kind === "upsertMany") tolerant(() => store.getByType(c.type).upsertMany(c.items.map((i) => ({ ...i.data, id: i.id, type: c.type })) as never));
        else tolerant(() => apply(c));
      }
      await engine.flush();
      const dead = engine.getDeadLetters();
      await engine.close();

      // Every dead letter is one the database refuses for good (the poison), never a temporary failure.
      for (const letter of dead.filter((d) => d.offending)) expect((letter.change.entity as Data | undefined)?.poison).toBe(true);

      // No store batch is half-durable: a call the database applied holds every key of every batch it completes,
      // and every batch was either applied in a call or dead-lettered.
      const keysOf = new Map(batches.map((b) => [b.batchId, new Set(b.changes.map((c) => keyOf(c.entityType, c.entityId)))]));
      for (const call of applied) {
        for (const batchId of call.context.batchIds) {
          for (const key of keysOf.get(batchId) ?? []) expect(call.keys.has(key), `batch ${batchId} split`).toBe(true);
        }
      }
      const deadBatches = new Set(dead.flatMap((d) => d.batchIds));
      const appliedBatches = new Set(applied.flatMap((call) => call.context.batchIds));
      // (A batch whose every change a later batch superseded before delivery travels as that later batch.)
      const superseded = (index: number) => [...keysOf.get(batches[index]!.batchId)!].every((key) => batches.slice(index + 1).some((later) => keysOf.get(later.batchId)!.has(key)));
      batches.forEach((batch, index) => {
        expect(appliedBatches.has(batch.batchId) || deadBatches.has(batch.batchId) || superseded(index), `batch ${batch.batchId} lost`).toBe(true);
      });

      // Reopen the directory and hydrate.
      await db.close();
      db = await createFrontendDatabase({ dbName: dir });
      const reopened = KalphiteStore();
      const { invalid } = await hydrate(reopened, db);
      expect(invalid).toEqual([]);
      const deadKeys = new Set(dead.map((d) => keyOf(d.entityType, d.entityId)));
      const allKeys = new Set<string>();
      const state = (s: typeof store) => {
        const out = new Map<string, unknown>();
        for (const t of s.types()) for (const e of s.getByType(t)) out.set(keyOf(e.type, e.id), asJson(e));
        return out;
      };
      const inMemory = state(store);
      const onDisk = state(reopened);
      for (const key of [...inMemory.keys(), ...onDisk.keys()]) allKeys.add(key);
      for (const key of allKeys) {
        if (deadKeys.has(key)) continue;
        expect(onDisk.get(key), `entity ${JSON.stringify(key)}`).toEqual(inMemory.get(key));
      }
      // The metadata of the last applied call that carried a cursor is the durable one.
      const lastCursor = applied.map((call) => call.context.meta["cursor"]).filter((c) => c !== undefined).at(-1);
      expect(await db.getMeta("cursor")).toEqual(lastCursor);
    }),
    // Each run reopens the directory (~0.5 s): a dozen runs keep the file well under a minute.
    { numRuns: 12 },
  );
}, 120_000);
