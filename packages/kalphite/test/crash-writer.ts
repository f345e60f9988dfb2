// The child process of crash.test.ts: opens `createKalphite` on a data
// directory and writes store batches steadily and in bursts until it is
// killed, printing `B <n> <ms since epoch>` once batch n is acknowledged by
// the store (stdout is a pipe: synchronous on Linux, so a printed batch was
// acknowledged before the line left the process). Each batch n upserts
// `size` items `<n>-<j>` and the shared mark "last" = n, so a durable prefix
// of batches is the only consistent state.
import { z } from "zod";
import { createKalphite } from "../src/create-kalphite";

const [dataDir, maxWaitMs, debounceMs, seedText] = process.argv.slice(2);
if (dataDir === undefined || maxWaitMs === undefined || debounceMs === undefined) {
  process.stderr.write("usage: crash-writer.ts <dataDir> <maxWaitMs> <debounceMs> [seed]\n");
  process.exit(2);
}

const Item = z.object({ id: z.string(), type: z.literal("item"), updatedAt: z.number().optional(), batch: z.number(), j: z.number() });
const Mark = z.object({ id: z.string(), type: z.literal("mark"), updatedAt: z.number().optional(), batch: z.number() });
const schema = z.discriminatedUnion("type", [Item, Mark]);

// A small deterministic generator, so a failing seed can be replayed.
let seed = Number(seedText ?? 1) >>> 0 || 1;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32);

const app = await createKalphite({
  schema,
  dataDir,
  // maxBatchSize below a batch's size: a store batch must still reach the disk whole.
  flush: { maxWaitMs: Number(maxWaitMs), debounceMs: Number(debounceMs), maxBatchSize: 3 },
});
app.flushEngine.on("error", ({ error }) => process.stderr.write(`flush error: ${error.message}\n`));
// After a crash, go on from the newest durable batch (lost ones are renumbered).
let n = (app.store.mark.findById("last")?.batch ?? -1) + 1;
process.stdout.write(`ready ${n} ${Date.now()}\n`);

const write = () => {
  const size = 1 + Math.floor(random() * 8);
  const batch = n++;
  app.store.batch(() => {
    for (let j = 0; j < size; j++) app.store.item.upsert(`${batch}-${j}`, { batch, j });
    app.store.mark.upsert("last", { batch });
  });
  process.stdout.write(`B ${batch} ${size} ${Date.now()}\n`);
};

for (;;) {
  if (random() < 0.1) {
    // A burst: many batches without yielding to the event loop, like piped input.
    const count = 20 + Math.floor(random() * 80);
    for (let i = 0; i < count; i++) write();
  } else write();
  await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 15)));
}
