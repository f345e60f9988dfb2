import { createOptimisticClient, type ClientMutator, type OptimisticEngine } from "@kalphite/coordinator";
import type { FrontendDatabase } from "@kalphite/pglite";
import type { BaseEntity, ChangeRecord, KalphiteStore, RemoteChange } from "@kalphite/store";
import { ModernSyncEngine, createPGliteOperationStorage, type StatePatch } from "@kalphite/sync-ops";
import { Listeners } from "./listeners";
import { serverSideWebSocket } from "./safe-websocket";
import { KALPHITE_SYNC_DEFAULTS, syncEndpoints, type KalphiteSyncOptions } from "./options";
import type { KalphiteRejection, KalphiteSync } from "./types";

/** What a started sync hands back to `createKalphite`. */
export interface StartedSync {
  readonly sync: KalphiteSync;
  readonly mutate: Record<string, (...args: unknown[]) => Promise<void>>;
  /** Stops, waiting until everything pending is in the database. */
  close(): Promise<void>;
}

const STATE_VERSION_KEY = "stateVersion";
/** Database metadata: the entities each pending operation protects (see the write binding). */
const PENDING_KEYS_KEY = "kalphite:sync:pendingKeys";
/** One entity as a string (JSON, so it survives a trip through the database's JSONB, which refuses \u0000). */
const key = (type: string, id: string) => JSON.stringify([type, id]);
const unkey = (k: string) => JSON.parse(k) as [string, string];

/** JSON with object keys sorted, so equal data gives equal text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** `upsert<type>(id, entity)` / `delete<type>(id)` → the entity they touch. */
function builtinTarget(name: string, args: readonly unknown[], types: ReadonlySet<string> | undefined): { type: string; id: string } | undefined {
  const id = args[0];
  if (typeof id !== "string") return undefined;
  const type = name.startsWith("upsert") ? name.slice(6) : name.startsWith("delete") ? name.slice(6) : undefined;
  if (!type || (types && !types.has(type))) return undefined;
  return { type, id };
}

/**
 * Operations mode: a `ModernSyncEngine` whose pending operations and cursor
 * live in the app's own PGlite (the same data directory), and either an
 * optimistic client running `mutators` speculatively or, without mutators, a
 * binding that sends plain store writes as `upsert<type>` / `delete<type>`.
 *
 * Start-up always pulls the full state first (the stored cursor is cleared):
 * the local database may hold effects of operations a previous run sent
 * whose outcome it never wrote down, and a full state (before anything is
 * pushed) replaces them with the server's truth; what is still pending is
 * pushed after it and comes back with the next pull.
 */
export async function startOperationSync(
  store: KalphiteStore<BaseEntity>,
  db: FrontendDatabase,
  options: KalphiteSyncOptions,
  clientId: string,
  report: (error: unknown) => void,
): Promise<StartedSync> {
  const room = options.room ?? KALPHITE_SYNC_DEFAULTS.room;
  const { baseUrl, notificationUrl } = syncEndpoints(options.url, room);
  const storage = await createPGliteOperationStorage({ db: db.pglite as never });
  const stored = await storage.load(clientId);
  // Operations of an earlier run (ids up to here) are not the optimistic client's: it learns ids in call order.
  const floor = stored.lastOperationId;
  await storage.setValue(clientId, STATE_VERSION_KEY, "");
  const engine = new ModernSyncEngine({
    baseUrl,
    notificationUrl,
    clientId,
    userId: options.userId ?? KALPHITE_SYNC_DEFAULTS.userId,
    ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
    storage,
    ...serverSideWebSocket(),
    stateVersionKey: STATE_VERSION_KEY,
    retryDelay: options.retryDelayMs ?? KALPHITE_SYNC_DEFAULTS.retryDelayMs,
    maxRetryDelay: Math.max(options.maxRetryDelayMs ?? KALPHITE_SYNC_DEFAULTS.maxRetryDelayMs, options.retryDelayMs ?? 0),
    pullInterval: options.pullIntervalMs ?? KALPHITE_SYNC_DEFAULTS.pullIntervalMs,
  });
  const types = options.entityTypes ? new Set(options.entityTypes) : undefined;
  const synced = (type: string) => types === undefined || types.has(type);
  const rejected = new Listeners<KalphiteRejection>(report);
  const errors = new Listeners<Error>(report);
  /** Failures of this wiring (a store that refused a pull, a rollback that could not read the server): sync.onError hears them. */
  const reportError = (error: unknown) => {
    errors.emit(error instanceof Error ? error : new Error(String(error)));
    report(error);
  };
  const offs: (() => void)[] = [];
  offs.push(engine.on("error", (error) => errors.emit(error)));

  /** The deletions a full state implies: synced entities here that the server does not have. */
  const resetDeletions = (patch: StatePatch, keep: (type: string, id: string) => boolean) => {
    const present = new Set(patch.entities.map((e) => key(e.type, e.id)));
    const listed = new Set(patch.deleted.map((d) => key(d.entityType, d.entityId)));
    const extra: { entityType: string; entityId: string }[] = [];
    for (const type of store.types()) {
      if (!synced(type)) continue;
      for (const entity of store.getByType(type) as readonly BaseEntity[]) {
        const k = key(type, entity.id);
        if (!present.has(k) && !listed.has(k) && !keep(type, entity.id)) extra.push({ entityType: type, entityId: entity.id });
      }
    }
    return extra;
  };

  /** executeOperation / sendChange calls not yet settled: each is in storage once it settles (after a disconnect, at once). */
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(promise: Promise<T>): Promise<T> => {
    const settled = promise.catch(() => undefined);
    inFlight.add(settled);
    void settled.then(() => inFlight.delete(settled));
    return promise;
  };
  let persistKeys = () => {};
  let waitSaved = async () => {};
  let mutate: Record<string, (...args: unknown[]) => Promise<void>> = {};
  let optimistic: KalphiteSync["optimistic"];
  let settle: () => Promise<void> = async () => undefined;

  if (options.mutators && Object.keys(options.mutators).length > 0) {
    const adapter: OptimisticEngine = {
      executeOperation: (name, args) => track(engine.executeOperation(name, args)),
      getPendingOperations: () => engine.getPendingOperations().filter((o) => o.id > floor),
      onStatePatch: (handler) =>
        engine.onStatePatch((patch) => {
          if (!patch.reset) return handler(patch);
          const extra = resetDeletions(patch, () => false);
          handler(extra.length === 0 ? patch : { ...patch, deleted: [...patch.deleted, ...extra] });
        }),
      onOperationConfirmed: (handler) => engine.onOperationConfirmed((op) => (op.id > floor ? handler(op) : undefined)),
      onOperationFailed: (handler) =>
        engine.onOperationFailed((event) => {
          // An earlier run's operation: the first (full) pull already replaced its effect with the server's state.
          if (event.operation.id > floor) handler(event);
          else rejected.emit({ name: event.operation.name, args: event.operation.args, error: event.error });
        }),
    };
    const client = createOptimisticClient({ store, engine: adapter, mutators: options.mutators as Record<string, ClientMutator>, onError: reportError });
    offs.push(client.on("rejected", (r) => rejected.emit({ name: r.name, args: r.args, error: String(r.error.cause ?? r.error.message) })));
    optimistic = client;
    mutate = client.mutate as typeof mutate;
    settle = () => client.whenIdle();
  } else {
    // Plain store writes travel as operations: `toOperations(batch)`'s, else the built-in ones.
    // An entity with a write of ours still pending keeps our value until the server has it
    // (then the server's comes back in a pull).
    const pending = new Map<string, number>();
    const bump = (keys: readonly string[], by: number) => {
      for (const k of keys) {
        const n = (pending.get(k) ?? 0) + by;
        if (n <= 0) pending.delete(k);
        else pending.set(k, n);
      }
    };
    /** Operations sent and not settled, oldest first, with the entities each one protects. */
    const sent: { name: string; args: string; keys: string[] }[] = [];
    // Canonical (sorted keys): args come back from the database's JSONB with their keys reordered.
    const argsKey = (args: readonly unknown[]) => canonicalJson(args);
    // Which entities each stored operation protects, as the run that sent it wrote down (a named
    // operation's args do not say which entities its batch touched).
    const saved = await db.getMeta<{ name: string; args: string; keys: string[] }[]>(PENDING_KEYS_KEY).catch(() => undefined);
    const savedKeys = Array.isArray(saved) ? saved : [];
    for (const op of stored.operations) {
      const args = argsKey(op.args);
      const target = builtinTarget(op.name, op.args, types);
      const found = savedKeys.findIndex((e) => e.name === op.name && e.args === args);
      const keys = found >= 0 ? savedKeys.splice(found, 1)[0]!.keys : target ? [key(target.type, target.id)] : [];
      sent.push({ name: op.name, args, keys });
      bump(keys, 1);
    }
    let saving: Promise<void> = Promise.resolve();
    let saveQueued = false;
    persistKeys = () => {
      if (saveQueued) return;
      saveQueued = true;
      queueMicrotask(() => {
        saveQueued = false;
        const snapshot = sent.filter((e) => e.keys.length > 0).map((e) => ({ name: e.name, args: e.args, keys: e.keys }));
        saving = saving.then(() => db.setMeta(PENDING_KEYS_KEY, snapshot)).catch(reportError);
      });
    };
    waitSaved = () => new Promise<void>((resolve) => queueMicrotask(resolve)).then(() => saving);
    const isPending = (type: string, id: string) => pending.has(key(type, id));
    const sendOne = (name: string, args: unknown[], keys: string[]) => {
      const entry = { name, args: argsKey(args), keys };
      sent.push(entry);
      persistKeys();
      bump(keys, 1);
      void track(engine.executeOperation(name, args)).catch((error: unknown) => {
        // Not queued (a full queue, a failing storage, args that are not JSON): nothing will reach the server.
        const at = sent.indexOf(entry);
        if (at >= 0) sent.splice(at, 1);
        persistKeys();
        bump(keys, -1);
        rejected.emit({ name, args, error: error instanceof Error ? error.message : String(error) });
        void rollback(keys);
      });
    };
    // The synced entities as they were before the batch being translated (toOperations diffs against them).
    const shadow = new Map<string, BaseEntity>();
    if (options.toOperations) {
      for (const type of store.types()) if (synced(type)) for (const e of store.getByType(type) as readonly BaseEntity[]) shadow.set(key(type, e.id), e);
    }
    const context = { previous: (type: string, id: string) => shadow.get(key(type, id)) };
    const sendBatch = (changes: readonly ChangeRecord<BaseEntity>[]) => {
      let translated: ReturnType<NonNullable<typeof options.toOperations>>;
      try {
        translated = options.toOperations?.(changes, context);
      } catch (error) {
        reportError(error);
        translated = undefined;
      }
      if (translated && translated.length > 0) {
        const keys = changes.map((c) => key(c.entityType, c.entityId));
        for (const op of translated) sendOne(op.name, [...op.args], keys);
        return;
      }
      for (const change of changes) {
        const k = [key(change.entityType, change.entityId)];
        if (change.operation === "delete") sendOne(`delete${change.entityType}`, [change.entityId], k);
        else sendOne(`upsert${change.entityType}`, [change.entityId, change.entity], k);
      }
    };
    offs.push(
      store.subscribe((changes) => {
        const mine = changes.filter((c) => c.origin === "local" && synced(c.entityType));
        if (mine.length > 0) sendBatch(mine);
        if (options.toOperations) {
          for (const c of changes) {
            if (!synced(c.entityType)) continue;
            if (c.operation === "delete") shadow.delete(key(c.entityType, c.entityId));
            else if (c.entity) shadow.set(key(c.entityType, c.entityId), c.entity);
          }
        }
      }),
    );
    offs.push(
      engine.onStatePatch((patch) => {
        const changes: RemoteChange<BaseEntity>[] = [];
        for (const d of patch.deleted) {
          if (synced(d.entityType) && !isPending(d.entityType, d.entityId) && store.getById(d.entityType, d.entityId) !== undefined) {
            changes.push({ operation: "delete", entityType: d.entityType, entityId: d.entityId });
          }
        }
        if (patch.reset) for (const d of resetDeletions(patch, isPending)) changes.push({ operation: "delete", entityType: d.entityType, entityId: d.entityId });
        for (const e of patch.entities) {
          if (synced(e.type) && !isPending(e.type, e.id)) changes.push({ operation: "upsert", entityType: e.type, entityId: e.id, entity: e as BaseEntity });
        }
        if (changes.length === 0) return;
        try {
          store.applyRemote(changes);
        } catch (error) {
          reportError(error);
        }
      }),
    );
    /** The first sent operation with this name and these args leaves `sent`; its entities are no longer protected by it. */
    const settled = (op: { name: string; args: unknown[] }): string[] => {
      const args = argsKey(op.args);
      const at = sent.findIndex((e) => e.name === op.name && e.args === args);
      if (at < 0) return [];
      const [entry] = sent.splice(at, 1);
      persistKeys();
      bump(entry!.keys, -1);
      return entry!.keys;
    };
    offs.push(engine.onOperationConfirmed((op) => void settled(op)));
    offs.push(
      engine.onOperationFailed(({ operation, error }) => {
        void rollback(settled(operation));
        rejected.emit({ name: operation.name, args: operation.args, error });
      }),
    );
    /** A refused write: its entities go back to the server's versions (read from a full state of their types). */
    const rollback = async (keys: readonly string[]) => {
      const wanted = keys.filter((k) => !pending.has(k));
      if (wanted.length === 0) return;
      const typesOf = [...new Set(wanted.map((k) => unkey(k)[0]))];
      try {
        const response = await fetch(`${baseUrl}/sync/state`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(options.authToken === undefined ? {} : { authorization: `Bearer ${options.authToken}` }) },
          body: JSON.stringify({ entityTypes: typesOf }),
        });
        if (!response.ok) throw new Error(`reading the server's state for a rollback failed: HTTP ${response.status}`);
        const state = (await response.json()) as { entities?: BaseEntity[] };
        const server = new Map((state.entities ?? []).map((e) => [key(e.type, e.id), e]));
        const changes: RemoteChange<BaseEntity>[] = [];
        for (const k of wanted) {
          if (pending.has(k)) continue;
          const [type, id] = unkey(k);
          const theirs = server.get(k);
          if (theirs) changes.push({ operation: "upsert", entityType: type, entityId: id, entity: theirs });
          else if (store.getById(type, id) !== undefined) changes.push({ operation: "delete", entityType: type, entityId: id });
        }
        if (changes.length > 0) store.applyRemote(changes);
      } catch (error) {
        reportError(error);
      }
    };
  }

  const status = new Listeners<"connected" | "connecting" | "disconnected">(reportError);
  offs.push(engine.on("status", (s) => status.emit(s)));

  const sync: KalphiteSync = {
    mode: "operations",
    engine,
    optimistic,
    status: () => ({
      mode: "operations",
      url: options.url,
      room,
      clientId,
      connection: engine.getConnectionStatus(),
      pendingOperations: engine.getOfflineQueueSize(),
      stateVersion: engine.getCurrentStateVersion(),
    }),
    connect: () => engine.connect(),
    disconnect: () => engine.disconnect(),
    flush: async () => {
      await settle();
      await Promise.all([...inFlight]);
      await engine.flush();
      // The confirmations' state arrives with the next pull.
      await engine.syncState();
      await settle();
    },
    onStatus: (listener) => status.add(listener),
    onRejected: (listener) => rejected.add(listener),
    onError: (listener) => errors.add(listener),
  };

  if (options.connect !== false) void engine.connect().catch(reportError);
  return {
    sync,
    mutate,
    close: async () => {
      // Runs in flight reach executeOperation (and storage) before the engine stops.
      await settle();
      // Offline first: waiting callers are released, and every operation handed to the engine is then in storage.
      await engine.disconnect();
      await Promise.all([...inFlight]);
      optimistic?.dispose();
      for (const off of offs) off();
      await engine.close();
      await waitSaved();
      await storage.close();
    },
  };
}
