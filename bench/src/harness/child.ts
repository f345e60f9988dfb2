// Entry point of every bench child process: `child.ts <group> <impl> <params-json>`.
// Runs one implementation's workloads and sends the measurements to the parent.
import type { Measurements } from "./types";

type Runner = (impl: string, params: Record<string, unknown>) => Promise<Measurements>;

const runners: Record<string, () => Promise<Runner>> = {
  store: async () => (await import("../groups/store-child")).runStoreChild,
  flush: async () => (await import("../groups/flush-child")).runFlushChild,
  pglite: async () => (await import("../groups/pglite-child")).runPgliteChild,
  live: async () => (await import("../groups/live-child")).runLiveChild,
  startup: async () => (await import("../groups/startup-child")).runStartupChild,
  "sync-ops": async () => (await import("../groups/sync-ops-child")).runSyncOpsChild,
  synced: async () => (await import("../groups/synced-child")).runSyncedChild,
  transactions: async () => (await import("../groups/transactions-child")).runTransactionsChild,
  "sync-ws": async () => (await import("../groups/sync-ws-child")).runSyncWsChild,
  coordinator: async () => (await import("../groups/coordinator-child")).runCoordinatorChild,
  server: async () => (await import("../groups/server-child")).runServerChild,
  simulator: async () => (await import("../groups/simulator-child")).runSimulatorChild,
  web: async () => (await import("../groups/web-child")).runWebChild,
};

const [group, impl, paramsJson] = process.argv.slice(2);
const load = group === undefined ? undefined : runners[group];
if (load === undefined || impl === undefined || paramsJson === undefined) {
  console.error(`usage: child.ts <${Object.keys(runners).join("|")}> <impl> <params-json>`);
  process.exit(2);
}
// Started by hand (no IPC channel): print the result instead.
const report = (message: { ok: true; values: Measurements } | { ok: false; error: string }, code: number) => {
  if (process.send) process.send(message, () => process.exit(code));
  else {
    console.log(JSON.stringify(message, null, 2));
    process.exit(code);
  }
};
try {
  const run = await load();
  const values = await run(impl, JSON.parse(paramsJson) as Record<string, unknown>);
  report({ ok: true, values }, 0);
} catch (error) {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  report({ ok: false, error: message }, 1);
}
