/**
 * A client process for the restart test: `node --import tsx offline-client.ts <dataDir> <baseUrl> <mode>`.
 * mode "queue": queues three operations offline (never connects), prints "queued", then waits to be killed.
 * mode "replay": connects, flushes, prints the confirmed ids as JSON and exits.
 */
import { ModernSyncEngine } from "../client/modern-sync-engine";
import { createPGliteOperationStorage } from "../client/pglite-operation-storage";

const [dataDir, baseUrl, mode] = process.argv.slice(2) as [string, string, string];
const storage = await createPGliteOperationStorage({ dataDir });
const engine = new ModernSyncEngine({ baseUrl, clientId: "restarted-client", userId: "u", storage });
if (mode === "queue") {
  for (const title of ["one", "two", "three"]) await engine.executeOperation("addTodo", [`restart-${title}`, title]);
  process.stdout.write(`queued ${JSON.stringify(engine.getPendingOperations().map((op) => op.id))}\n`);
  setInterval(() => undefined, 1000);
} else {
  const confirmed: number[] = [];
  engine.onOperationConfirmed((op) => confirmed.push(op.id));
  await engine.connect();
  await engine.flush();
  process.stdout.write(`${JSON.stringify({ confirmed, pending: engine.getPendingOperations().length })}\n`);
  await engine.close();
  await storage.close();
  process.exit(0);
}
