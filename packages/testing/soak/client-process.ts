/**
 * One soak client process: a real `ModernSyncEngine` (fetch over the fault
 * proxy, operations in a file) issuing the todo app's operations, with a
 * memory store fed by its state patches. Killed with SIGKILL and restarted
 * by the soak at random moments; it picks up where its files say.
 *
 * argv: <clientId> <baseUrl> <token> <operations> <seed> <dir>
 * stdin commands: "quiesce" (stop issuing), "flush" (→ "flushed"), "read" (→ "read <file>").
 * stdout lines: "started", "issued-all", "flushed", "read <file>".
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { KalphiteStore, type Entity } from "@kalphite/store";
import { ModernSyncEngine } from "@kalphite/sync-ops";
import { createRandom } from "../src/random";
import { createFileOperationStorage } from "./file-operation-storage";

const [clientId, baseUrl, token, opsArg, seedArg, dir] = process.argv.slice(2) as [string, string, string, string, string, string];
const total = Number(opsArg);
const counterFile = join(dir, `${clientId}.next`);
const confirmedFile = join(dir, `${clientId}.confirmed`);
let next = existsSync(counterFile) ? Number(readFileSync(counterFile, "utf8")) : 0;
const random = createRandom(Number(seedArg) ^ next);

const store = KalphiteStore();
const engine = new ModernSyncEngine({
  baseUrl,
  clientId,
  userId: clientId,
  authToken: token,
  storage: createFileOperationStorage(join(dir, `${clientId}.ops.json`)),
  notificationTransport: "none",
  pullInterval: 400,
  retryDelay: 50,
  maxRetryDelay: 1000,
  requestTimeout: 2000,
  batchSize: 50,
  offlineQueueLimit: 100_000,
});
engine.on("error", () => undefined);
engine.onStatePatch((patch) => {
  store.applyRemote([
    ...patch.entities.map((entity) => ({ operation: "upsert" as const, entityType: entity.type, entityId: entity.id, entity })),
    ...patch.deleted.map((d) => ({ operation: "delete" as const, entityType: d.entityType, entityId: d.entityId })),
  ]);
});
engine.onOperationConfirmed((op) => {
  appendFileSync(confirmedFile, `${JSON.stringify({ id: op.id, name: op.name, args: op.args, ok: true })}\n`);
});
engine.onOperationFailed(({ operation, error }) => {
  appendFileSync(confirmedFile, `${JSON.stringify({ id: operation.id, name: operation.name, args: operation.args, ok: false, error })}\n`);
});

const say = (line: string) => process.stdout.write(`${line}\n`);
let quiesced = false;

/** My own todos (ids are `${clientId}-${n}`) and any others seen in the store. */
const pickTodo = (): string | undefined => {
  const todos = store.getByType("todo").where(() => true) as Entity[];
  if (todos.length === 0) return undefined;
  return (todos[random.int(0, todos.length - 1)] as Entity).id;
};

async function issue(): Promise<void> {
  // Up to 100 operations wait for their push answer at once (executeOperation resolves after it): pushes carry up to 50.
  const inFlight = new Set<Promise<void>>();
  while (next < total && !quiesced) {
    const n = next++;
    // The counter is written first: a kill after it and before the operation is durable loses an unacknowledged operation, never repeats one.
    writeFileSync(`${counterFile}.tmp`, String(next));
    renameSync(`${counterFile}.tmp`, counterFile); // atomic: a kill never leaves it empty
    const target = pickTodo();
    const now = 1_700_000_000_000 + n;
    let sent: Promise<void>;
    if (target === undefined || random.chance(0.4)) {
      sent = engine.executeOperation("addTodo", [{ id: `${clientId}-${n}`, title: `todo ${n} of ${clientId}`, now }]);
    } else if (random.chance(0.8)) {
      sent = engine.executeOperation("addNote", [{ id: target, now, text: `${clientId}:${n}` }]);
    } else {
      sent = engine.executeOperation("editTodo", [{ id: target, now, title: `edited ${n} by ${clientId}` }]);
    }
    const tracked = sent.catch(() => undefined).finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= 100) await Promise.race(inFlight);
    if (n % 5 === 0) await new Promise((resolve) => setTimeout(resolve, random.int(0, 5)));
  }
  await Promise.all(inFlight);
  if (next >= total) say("issued-all");
}

createInterface({ input: process.stdin }).on("line", (line) => {
  const command = line.trim();
  if (command === "quiesce") quiesced = true;
  else if (command === "flush") {
    const attempt = (): void => {
      engine.flush().then(() => say("flushed"), () => setTimeout(attempt, 100));
    };
    attempt();
  } else if (command === "read") {
    engine.syncState().then(
      () => {
        const file = join(dir, `${clientId}.read.json`);
        const entities: Entity[] = [];
        for (const type of store.types()) for (const entity of store.getByType(type).where(() => true) as Entity[]) entities.push(entity); // no spread: 100k entities overflow the stack
        writeFileSync(file, JSON.stringify({ version: engine.getCurrentStateVersion(), pending: engine.getOfflineQueueSize(), entities }));
        say(`read ${file}`);
      },
      (error: unknown) => say(`read-failed ${String(error)}`),
    );
  }
});

await engine.connect();
say("started");
await issue();
