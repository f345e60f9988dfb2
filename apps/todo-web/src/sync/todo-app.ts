/**
 * The web app's sync stack, composed: a Kalphite store (the todo model's
 * schema) shown by React; an entity snapshot in IndexedDB (what the page shows
 * when it opens, offline too); a `ModernSyncEngine` whose pending operations
 * are in IndexedDB (durable before "queued", pushed again after a reload);
 * and the optimistic client running the shared todo mutators speculatively.
 *
 *   UI ── client.mutate.addTodo(args) ──▶ store (at once) ──▶ snapshot (IndexedDB)
 *                         └──▶ engine.executeOperation ──▶ operations (IndexedDB) ──▶ POST /sync/operations
 *   server poke ──▶ pull ──▶ rebase (pending undone, server state, pending re-run) ──▶ store ──▶ snapshot
 */
import { createOptimisticClient, type EnginePatch, type OptimisticClient } from "@kalphite/coordinator";
import { KalphiteStore } from "@kalphite/store";
import { ModernSyncEngine, type StateSyncResponse } from "@kalphite/sync-ops";
import { EntitySchema, todoMutators } from "@kalphite/todo-model";
import type { AppConfig } from "../config";
import { TodoWebError, TodoWebErrorCode } from "../errors";
import { openAppDatabase, request, STORES, done } from "../storage/idb";
import { persistSnapshot, readSnapshot } from "../storage/entity-snapshot";
import { createIndexedDBOperationStorage } from "../storage/operation-storage";
import { browserWebSocket } from "./browser-websocket";
import { hideRecoveredOperations } from "./engine-facade";
import { ValueStore, type AppMessage, type SyncStatus } from "./sync-status";

/** Reconnect backoff bounds, ms: short, so a restarted server is found again quickly. @default 250 / 2000 */
export const RETRY_DELAY_MS = 250;
export const MAX_RETRY_DELAY_MS = 2000;
/**
 * Periodic pull, ms: the status bar's "Connected" means the last request
 * succeeded, so an outage shows within this long even when nobody edits
 * (and a notification missed while the socket was down is caught up).
 * @default 5000
 */
export const PULL_INTERVAL_MS = 5000;

const makeStore = () => KalphiteStore(EntitySchema);

/** The app's store type. */
export type TodoStore = ReturnType<typeof makeStore>;

/** Everything the UI talks to. */
export interface TodoApp {
  readonly store: TodoStore;
  readonly client: OptimisticClient<typeof todoMutators>;
  readonly engine: ModernSyncEngine;
  readonly status: ValueStore<SyncStatus>;
  readonly messages: ValueStore<readonly AppMessage[]>;
  /** Shows a message in the alert region. */
  report(text: string): void;
  /** Removes a message. */
  dismiss(id: number): void;
  /** Resolves when the snapshot holds every change so far. */
  snapshotFlushed(): Promise<void>;
  /** The engine's client id (one per browser storage). */
  readonly clientId: string;
}

async function clientIdOf(db: IDBDatabase): Promise<string> {
  const existing = (await request(db.transaction(STORES.meta, "readonly").objectStore(STORES.meta).get("clientId"))) as string | undefined;
  if (existing !== undefined) return existing;
  const id = `web-${crypto.randomUUID()}`;
  const tx = db.transaction(STORES.meta, "readwrite");
  tx.objectStore(STORES.meta).put(id, "clientId");
  await done(tx);
  return id;
}

/** Opens storage, loads the snapshot, and starts syncing with `config.server` (in the background: the app works offline). */
export async function startTodoApp(config: AppConfig): Promise<TodoApp> {
  const db = await openAppDatabase(config.dbName);
  const store = makeStore();
  const messages = new ValueStore<readonly AppMessage[]>([]);
  let nextMessage = 1;
  const report = (text: string) => messages.set([...messages.get(), { id: nextMessage++, text }].slice(-5));
  const reportError = (error: unknown) => report(error instanceof Error ? error.message : String(error));

  const { invalid } = store.loadEntities((await readSnapshot(db)) as never[], { onInvalid: "skip" }); // validated by the store
  if (invalid.length > 0) report(`${invalid.length} stored entities were invalid and were skipped`);
  const snapshot = persistSnapshot(db, store, reportError);

  const clientId = await clientIdOf(db);
  let refresh = () => {};
  const storage = createIndexedDBOperationStorage(db, { forgetOnLoad: ["stateVersion"], onOperationsWritten: () => refresh() });
  const recovered = new Set((await storage.load(clientId)).operations.map((op) => op.id));
  const notificationUrl = `${config.server.replace(/^http/, "ws")}/sync/notify`;
  const engine = new ModernSyncEngine({
    baseUrl: config.server,
    notificationUrl,
    clientId,
    userId: config.userId,
    ...(config.token === undefined ? {} : { authToken: config.token }),
    storage,
    WebSocket: browserWebSocket(config.token),
    fetch: globalThis.fetch.bind(globalThis),
    retryDelay: RETRY_DELAY_MS,
    maxRetryDelay: MAX_RETRY_DELAY_MS,
    pullInterval: PULL_INTERVAL_MS,
  });

  const fullState = async (): Promise<EnginePatch> => {
    const response = await fetch(`${config.server}/sync/state`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(config.token === undefined ? {} : { authorization: `Bearer ${config.token}` }) },
      body: JSON.stringify({ clientId }),
    });
    if (!response.ok) throw new TodoWebError(TodoWebErrorCode.ResyncFailed, `resync: the server answered ${response.status}`);
    const state = (await response.json()) as StateSyncResponse;
    return { entities: state.entities, deleted: state.deleted ?? [], reset: true };
  };
  const facade = hideRecoveredOperations(engine, {
    recovered,
    fullState,
    onRecoveredRejected: (op, error) => report(`The server refused ${op.name ?? "an operation"}: ${error}`),
    onError: reportError,
  });
  const client = createOptimisticClient({ store, engine: facade, mutators: todoMutators, onError: reportError });

  const status = new ValueStore<SyncStatus>({ connection: engine.getConnectionStatus(), pending: recovered.size });
  refresh = () => {
    const current = status.get();
    const connection = engine.getConnectionStatus();
    const pending = engine.getPendingOperations().length;
    if (current.connection !== connection || current.pending !== pending) status.set({ connection, pending });
  };
  engine.on("status", refresh);
  engine.onOperationConfirmed(refresh);
  engine.onOperationFailed(refresh);
  engine.onStatePatch(refresh);
  store.subscribe(() => queueMicrotask(refresh));
  client.on("rejected", ({ name, error }) => report(`The server refused ${name}: ${String(error.cause ?? error.message)}`));

  engine.connect().catch(reportError);
  return {
    store,
    client,
    engine,
    status,
    messages,
    report,
    dismiss: (id) => messages.set(messages.get().filter((m) => m.id !== id)),
    snapshotFlushed: snapshot.flushed,
    clientId,
  };
}
