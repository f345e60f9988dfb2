import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createPGliteSyncStorage } from "../storage/pglite-storage";
import type { SyncStorage } from "../storage/types";
import type { PendingOperation } from "../types";
import type { Mutator } from "./mutator-transaction";
import { PushProcessor } from "./push-processor";

let storage: SyncStorage;
beforeAll(async () => {
  storage = await createPGliteSyncStorage();
});
afterAll(async () => {
  await storage.close();
});

/** Appends the operation's id to a log entity: the log shows the order and the count of applications. */
const mutators: Record<string, Mutator> = {
  append: async (tx, logId: string) => {
    const log = await tx.get<{ id: string; type: string; ids: number[] }>("log", logId);
    await tx.upsert("log", logId, { ids: [...(log?.ids ?? []), tx.operationId] });
  },
  fail: async (tx, logId: string) => {
    await tx.upsert("log", logId, { ids: [-1] });
    throw new Error("refused");
  },
};

let run = 0;

it("applies every operation exactly once and in id order, whatever the pushes (reordered, duplicated, concurrent)", async () => {
  const processor = new PushProcessor({ storage, mutators, schema: undefined, builtinOperations: false, maxGroupOperations: 5000, now: () => 1, onCommitted: () => undefined });
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 12 }),
      fc.array(fc.array(fc.integer({ min: 1, max: 12 }), { maxLength: 8 }), { maxLength: 8 }),
      fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
      fc.boolean(),
      async (n, pushes, failing, concurrent) => {
        const clientId = `prop-${++run}`;
        const logId = `log-${clientId}`;
        const ops = Array.from({ length: n }, (_, i): PendingOperation => ({ name: failing[i] ? "fail" : "append", args: [logId], id: i + 1, clientId, timestamp: 0 }));
        const batches = pushes.map((ids) => ids.filter((id) => id <= n).map((id) => ops[id - 1] as PendingOperation));
        const outcomes = concurrent ? await Promise.all(batches.map((b) => processor.push(b))) : [];
        if (!concurrent) for (const b of batches) outcomes.push(await processor.push(b));
        // Every confirmation agrees with the operation's nature, however often it was pushed.
        for (const outcome of outcomes) {
          for (const c of outcome.confirmations) expect(c.success).toBe(!failing[c.operationId - 1]);
        }
        const final = await processor.push(ops);
        expect(final.gaps).toEqual([]);
        expect(final.confirmations.map((c) => [c.operationId, c.success])).toEqual(ops.map((op) => [op.id, !failing[op.id - 1]]));
        const state = await storage.readState({ entityTypes: ["log"] });
        const log = state.entities.find((e) => e.id === logId) as { ids: number[] } | undefined;
        const expected = ops.filter((op) => op.name === "append").map((op) => op.id);
        expect(log?.ids ?? []).toEqual(expected);
      },
    ),
    { numRuns: 40 },
  );
});
