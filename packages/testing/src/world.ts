import type { StandardSchemaV1 } from "@standard-schema/spec";
import { createOptimisticClient, type ClientMutator, type OptimisticClient } from "@kalphite/coordinator";
import { KalphiteStore, type Entity } from "@kalphite/store";
import { ModernSyncEngine, createOperationSyncServer, type Mutator, type OperationSyncServer, type ServerSchema } from "@kalphite/sync-ops";
import { createRandom } from "./random";
import type { SimScenario, SimStep } from "./scenario";
import { formatStep } from "./scenario";
import { SimClock, type TimerGroup } from "./sim-clock";
import { InProcessHttpServer, SimulatedNetwork, type NetworkFaults } from "./sim-network";
import { SimulatedClientDisk } from "./sim-operation-storage";
import { SimulatedServerDisk } from "./sim-sync-storage";

/** What one run needs besides its scenario. */
export interface WorldConfig {
  readonly clients: number;
  readonly mutators: Readonly<Record<string, (tx: any, ...args: any[]) => void | Promise<void>>>;
  readonly schema: StandardSchemaV1 | Readonly<Record<string, StandardSchemaV1>> | undefined;
  readonly network: NetworkFaults;
  /** ms a storage write takes to become durable (client and server). */
  readonly storageLatency: readonly [number, number];
  /** Simulated ms allowed for convergence once the network heals. */
  readonly convergeWithinMs: number;
  /** A restarted client pushes the operations it recovered before its optimistic client is created. */
  readonly restartDrainsQueue: boolean;
}

/** Counters of one run. */
export interface RunStats {
  operations: number;
  confirmed: number;
  refused: number;
  requests: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  partitions: number;
  disconnects: number;
  clientRestarts: number;
  serverRestarts: number;
  lostClientWrites: number;
  simulatedMs: number;
  convergeMs: number;
}

/** The outcome of one run. */
export interface RunOutcome {
  readonly problems: string[];
  readonly trace: string[];
  readonly stats: RunStats;
  /** A digest of the trace and the final state: equal for equal runs. */
  readonly fingerprint: string;
}

interface Confirmation {
  clientId: string;
  id: number;
  name: string;
  args: string;
}

interface SimClient {
  readonly index: number;
  readonly clientId: string;
  readonly disk: SimulatedClientDisk;
  up: boolean;
  timers?: TimerGroup;
  engine?: ModernSyncEngine;
  store?: KalphiteStore<any>;
  optimistic?: OptimisticClient<any>;
}

const canonical = (value: unknown): string => JSON.stringify(value, (_k, v: unknown) =>
  v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
);

function digest(lines: readonly string[]): string {
  // FNV-1a over the lines: a cheap equality witness for "same seed, same run".
  let h = 0x811c9dc5;
  for (const line of lines) {
    for (let i = 0; i < line.length; i++) h = Math.imul(h ^ line.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 10, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** Runs one scenario: clients, a server and the network in this process, on one fake clock. */
export async function runWorld(config: WorldConfig, scenario: SimScenario): Promise<RunOutcome> {
  const clock = new SimClock();
  const random = createRandom(scenario.netSeed);
  const trace: string[] = [];
  const problems: string[] = [];
  const log = (line: string) => trace.push(`${String(clock.now() - 1_700_000_000_000).padStart(7)} ${line}`);
  const wire = clock.group();
  const driver = clock.group();
  const network = new SimulatedNetwork(wire, random, config.network, log);
  const latency = () => random.int(config.storageLatency[0], config.storageLatency[1]);
  const serverDisk = new SimulatedServerDisk(latency);
  const stats: RunStats = {
    operations: 0, confirmed: 0, refused: 0, requests: 0, dropped: 0, duplicated: 0, reordered: 0,
    partitions: 0, disconnects: 0, clientRestarts: 0, serverRestarts: 0, lostClientWrites: 0, simulatedMs: 0, convergeMs: 0,
  };
  const called = new Map<string, number>();
  const confirmations: Confirmation[] = [];
  const callKey = (clientId: string, name: string, args: string) => `${clientId}\u0000${name}\u0000${args}`;
  const storeSchema = config.schema && "~standard" in config.schema ? (config.schema as StandardSchemaV1<unknown, any>) : undefined;

  const serverMutators: Record<string, Mutator> = {};
  for (const [name, fn] of Object.entries(config.mutators)) {
    serverMutators[name] = async (tx, ...args) => {
      await fn(tx, ...args);
      serverDisk.noteApplied({ clientId: tx.clientId, operationId: tx.operationId, name, args: JSON.stringify(args) });
    };
  }

  // ---- the server process ----------------------------------------------------
  let server: { api: OperationSyncServer; timers: TimerGroup } | undefined;
  let serverStarting = false;
  const startServer = async () => {
    serverStarting = true;
    const timers = clock.group();
    const http = new InProcessHttpServer();
    const api = await createOperationSyncServer({
      server: http as never,
      storage: serverDisk.open(timers),
      mutators: serverMutators,
      ...(config.schema ? { schema: config.schema as ServerSchema } : {}),
      now: () => timers.now(),
      heartbeatIntervalMs: 3_600_000,
      onError: (error) => log(`server error: ${error instanceof Error ? error.message : String(error)}`),
    });
    server = { api, timers };
    network.server = { http, timers };
    serverStarting = false;
    log("server: started");
  };
  const killServer = () => {
    if (!server) return;
    const dead = server;
    server = undefined;
    network.server = undefined;
    dead.timers.kill();
    serverDisk.crash();
    void dead.api.close().catch(() => undefined); // stops its heartbeat; its pushes in flight never finish
    stats.serverRestarts++;
    log("server: kill -9");
  };

  // ---- the client processes --------------------------------------------------
  const clients: SimClient[] = Array.from({ length: config.clients }, (_, index) => ({
    index,
    clientId: `client-${index}`,
    disk: new SimulatedClientDisk({ latency }),
    up: false,
  }));
  const startClient = (c: SimClient) => {
    const timers = clock.group();
    const store = storeSchema ? KalphiteStore(storeSchema) : KalphiteStore();
    const engine = new ModernSyncEngine({
      baseUrl: "http://kalphite.sim",
      clientId: c.clientId,
      userId: `user-${c.index}`,
      httpClient: network.client(c.clientId, timers),
      storage: c.disk.open(timers),
      timers,
      random: createRandom(scenario.netSeed ^ ((c.index + 1) * 0x9e3779b1)).next,
      notificationTransport: "none",
      pullInterval: 1000,
      retryDelay: 100,
      maxRetryDelay: 4000,
      requestTimeout: 2000,
      batchSize: 5,
    });
    engine.on("error", () => undefined);
    engine.onOperationConfirmed((op) => {
      if (timers.dead) return;
      stats.confirmed++;
      confirmations.push({ clientId: op.clientId, id: op.id, name: op.name, args: JSON.stringify(op.args) });
      log(`${c.clientId}: confirmed #${op.id} ${op.name}`);
    });
    engine.onOperationFailed(({ operation, error }) => {
      if (timers.dead) return;
      stats.refused++;
      log(`${c.clientId}: refused #${operation.id} ${operation.name}: ${error.slice(0, 80)}`);
    });
    const counted = {
      executeOperation: (name: string, args: any[]) => {
        const key = callKey(c.clientId, name, JSON.stringify(args));
        called.set(key, (called.get(key) ?? 0) + 1);
        return engine.executeOperation(name, args);
      },
      getPendingOperations: () => engine.getPendingOperations(),
      onStatePatch: (fn: Parameters<ModernSyncEngine["onStatePatch"]>[0]) => engine.onStatePatch(fn),
      onOperationConfirmed: (fn: Parameters<ModernSyncEngine["onOperationConfirmed"]>[0]) => engine.onOperationConfirmed(fn),
      onOperationFailed: (fn: Parameters<ModernSyncEngine["onOperationFailed"]>[0]) => engine.onOperationFailed(fn),
    };
    // Until the optimistic client exists, server state goes to the store directly (nothing is pending in it).
    const offDirect = engine.onStatePatch((patch) => {
      if (timers.dead) return;
      store.applyRemote([
        ...patch.entities.map((entity) => ({ operation: "upsert" as const, entityType: entity.type, entityId: entity.id, entity })),
        ...patch.deleted.map((d) => ({ operation: "delete" as const, entityType: d.entityType, entityId: d.entityId })),
      ]);
    });
    const attach = () => {
      if (timers.dead) return;
      offDirect();
      c.optimistic = createOptimisticClient({
        store,
        engine: counted,
        mutators: config.mutators as Record<string, ClientMutator>,
        onError: (error) => log(`${c.clientId} client error: ${error instanceof Error ? error.message : String(error)}`),
      });
    };
    Object.assign(c, { up: true, timers, engine, store, optimistic: undefined });
    const recovered = c.disk.durableOperations;
    engine.connect().catch(() => undefined);
    log(`${c.clientId}: started${recovered > 0 ? ` with ${recovered} recovered operations` : ""}`);
    if (recovered === 0 || !config.restartDrainsQueue) {
      attach();
      return;
    }
    // The optimistic client claims the engine's pending ids in call order, so the operations a
    // previous process left are pushed first (engine.flush()), then the client is created.
    const drain = () => {
      if (timers.dead) return;
      engine.flush().then(
        () => {
          log(`${c.clientId}: recovered operations settled`);
          attach();
        },
        () => timers.setTimeout(drain, 100),
      );
    };
    drain();
  };
  const killClient = (c: SimClient) => {
    if (!c.up) return;
    c.up = false;
    c.timers?.kill();
    const before = c.disk.lostWrites;
    c.disk.crash();
    stats.lostClientWrites += c.disk.lostWrites - before;
    c.optimistic?.dispose();
    stats.clientRestarts++;
    log(`${c.clientId}: kill -9 (${c.disk.lostWrites - before} writes not yet durable lost)`);
  };

  // ---- the steps --------------------------------------------------------------
  const run = async (step: SimStep) => {
    log(formatStep(step));
    switch (step.kind) {
      case "mutate": {
        const c = clients[step.client] as SimClient;
        if (!c.up || !c.optimistic) {
          log(`  skipped: client ${step.client} is ${c.up ? "starting" : "down"}`);
          return;
        }
        stats.operations++;
        const fn = (c.optimistic.mutate as Record<string, (...args: unknown[]) => Promise<void>>)[step.name];
        if (!fn) {
          problems.push(`no mutator named ${JSON.stringify(step.name)}`);
          return;
        }
        let promise: Promise<void>;
        try {
          promise = fn(...structuredClone(step.args as unknown[]));
        } catch (error) {
          log(`  threw: ${error instanceof Error ? error.message : String(error)}`);
          return;
        }
        promise.catch(() => undefined);
        return;
      }
      case "partition":
        stats.partitions++;
        network.partition(`client-${step.client}`, clock.now() + step.ms);
        return;
      case "disconnect": {
        const c = clients[step.client] as SimClient;
        if (!c.up || !c.engine) return;
        stats.disconnects++;
        const engine = c.engine;
        engine.disconnect().catch(() => undefined);
        driver.setTimeout(() => {
          if (c.engine === engine && c.up) engine.connect().catch(() => undefined);
        }, step.ms);
        return;
      }
      case "restartClient": {
        const c = clients[step.client] as SimClient;
        if (!c.up) return;
        killClient(c);
        driver.setTimeout(() => startClient(c), step.downMs);
        return;
      }
      case "restartServer":
        if (!server) return;
        killServer();
        driver.setTimeout(() => void startServer(), step.downMs);
        return;
    }
  };

  try {
    await startServer();
    for (const c of clients) startClient(c);
    for (const step of scenario.steps) {
      await clock.advance(step.after);
      await run(step);
    }
    // ---- heal and drain ---------------------------------------------------------
    log("heal: no more faults");
    network.heal();
    const healedAt = clock.now();
    const deadline = healedAt + config.convergeWithinMs;
    const converged = () =>
      server !== undefined &&
      clients.every(
        (c) =>
          c.up &&
          c.engine !== undefined &&
          c.optimistic !== undefined &&
          c.engine.getOfflineQueueSize() === 0 &&
          c.optimistic.getPendingOperations().length === 0 &&
          c.engine.getCurrentStateVersion() === String(serverDisk.version),
      );
    // Restarts and reconnects scheduled before the heal still happen; then everyone is brought up.
    await clock.advance(3_001, () => false);
    if (!server && !serverStarting) await startServer();
    for (const c of clients) {
      if (!c.up) startClient(c);
      else if (!c.engine) continue;
      else if (c.engine?.getConnectionStatus() === "disconnected") c.engine.connect().catch(() => undefined);
    }
    const done = await clock.runUntil(deadline, converged);
    stats.convergeMs = clock.now() - healedAt;
    // Rebases still queued finish (a mutator that never settles is reported, not waited for).
    let idle = false;
    void Promise.all(clients.map((c) => c.optimistic?.whenIdle())).then(() => {
      idle = true;
    });
    if (!(await clock.advance(0, () => idle))) problems.push("an optimistic client never became idle (a mutator or rebase never settled)");
    if (!done) {
      const states = clients.map((c) => `${c.clientId}: up=${c.up} queue=${c.engine?.getOfflineQueueSize()} pending=${c.optimistic?.getPendingOperations().length} version=${c.engine?.getCurrentStateVersion()} status=${c.engine?.getConnectionStatus()}`);
      problems.push(`did not converge within ${config.convergeWithinMs} simulated ms after the network healed (server version ${serverDisk.version}${server ? "" : ", server down"}):\n    ${states.join("\n    ")}`);
    } else {
      checkStates(clients, serverDisk, problems);
    }
    checkOperations(serverDisk, called, confirmations, problems, callKey, new Set(Object.keys(config.mutators)));
    for (const error of clock.errors) problems.push(`a timer callback threw: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  } finally {
    for (const c of clients) {
      c.timers?.kill();
      c.optimistic?.dispose();
    }
    if (server) {
      server.timers.kill();
      void server.api.close().catch(() => undefined);
    }
    wire.kill();
    driver.kill();
  }
  Object.assign(stats, {
    requests: network.stats.requests,
    dropped: network.stats.dropped,
    duplicated: network.stats.duplicated,
    reordered: network.stats.reordered,
    simulatedMs: clock.now() - 1_700_000_000_000,
  });
  const finalState = canonical({ ...serverStateOf(serverDisk), entities: serverDisk.entities() });
  return { problems, trace, stats, fingerprint: digest([...trace, finalState]) };
}

function serverStateOf(disk: SimulatedServerDisk): { version: number; applied: number; last: Record<string, number> } {
  return { version: disk.version, applied: disk.applied.length, last: disk.lastOperationIds() };
}

function clientEntities(store: KalphiteStore<any>): Entity[] {
  const out: Entity[] = [];
  for (const type of store.types()) {
    for (const entity of store.getByType(type).where(() => true) as Entity[]) out.push(entity);
  }
  return sortEntities(out);
}

const sortEntities = (list: Entity[]) =>
  list.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

export function checkStates(clients: readonly SimClient[], disk: SimulatedServerDisk, problems: string[]): void {
  const serverEntities = disk.entities();
  const expected = new Map(serverEntities.map((e) => [`${e.type}/${e.id}`, canonical(e)]));
  for (const c of clients) {
    const actual = new Map(clientEntities(c.store as KalphiteStore<any>).map((e) => [`${e.type}/${e.id}`, canonical(e)]));
    const diffs: string[] = [];
    for (const [k, v] of expected) {
      const got = actual.get(k);
      if (got === undefined) diffs.push(`missing ${k}`);
      else if (got !== v) diffs.push(`${k}: client ${got} ≠ server ${v}`);
    }
    for (const k of actual.keys()) if (!expected.has(k)) diffs.push(`extra ${k} (not on the server)`);
    if (diffs.length > 0) problems.push(`${c.clientId}'s state differs from the server's (${diffs.length} entities): ${diffs.slice(0, 5).join("; ")}`);
  }
}

export function checkOperations(
  disk: SimulatedServerDisk,
  called: ReadonlyMap<string, number>,
  confirmations: readonly Confirmation[],
  problems: string[],
  callKey: (clientId: string, name: string, args: string) => string,
  mutatorNames: ReadonlySet<string>,
): void {
  const byId = new Map<string, { name: string; args: string; version: number }>();
  const appliedCount = new Map<string, number>();
  for (const a of disk.applied) {
    const id = `${a.clientId}#${a.operationId}`;
    const earlier = byId.get(id);
    if (earlier) problems.push(`operation ${id} applied twice (versions ${earlier.version} and ${a.version}): ${a.name}`);
    else byId.set(id, a);
    const k = callKey(a.clientId, a.name, a.args);
    appliedCount.set(k, (appliedCount.get(k) ?? 0) + 1);
  }
  for (const [k, n] of appliedCount) {
    const calls = called.get(k) ?? 0;
    if (n > calls) {
      const [clientId, name, args] = k.split("\u0000");
      problems.push(`${clientId}'s ${name}(${args?.slice(1, -1)}) was called ${calls} time(s) and applied ${n} times (applied twice under another id)`);
    }
  }
  for (const c of confirmations) {
    const applied = byId.get(`${c.clientId}#${c.id}`);
    if (!mutatorNames.has(c.name)) continue; // built-in operations are not tracked
    if (!applied) {
      problems.push(`acknowledged write lost: ${c.clientId}#${c.id} ${c.name} was confirmed to the client but is not in the server's durable state`);
    } else if (applied.name !== c.name || applied.args !== c.args) {
      problems.push(`${c.clientId}#${c.id} was confirmed as ${c.name}(${c.args}) but the server applied ${applied.name}(${applied.args}) under that id`);
    }
  }
}
