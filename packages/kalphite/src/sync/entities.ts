import type { FrontendDatabase } from "@kalphite/pglite";
import type { BaseEntity, ChangeRecord, KalphiteStore } from "@kalphite/store";
import { NetworkSyncEngine, SyncErrorCode, bindStore, createPGliteSyncStorage, type BindableStore } from "@kalphite/sync-ws";
import { Listeners } from "./listeners";
import { serverSideWebSocket } from "./safe-websocket";
import { KALPHITE_SYNC_DEFAULTS, syncEndpoints, type KalphiteSyncOptions } from "./options";
import type { StartedSync } from "./operations";
import type { KalphiteRejection, KalphiteSync } from "./types";

/**
 * Entities mode: a `NetworkSyncEngine` whose offline queue, vector clocks,
 * cursor and client id live in the app's PGlite, bound to the store with
 * `bindStore` (local writes out, remote changes in as `applyRemote`).
 * Reconnects without giving up: offline first.
 */
export async function startEntitySync(
  store: KalphiteStore<BaseEntity>,
  db: FrontendDatabase,
  options: KalphiteSyncOptions,
  reportError: (error: unknown) => void,
): Promise<StartedSync> {
  const room = options.room ?? KALPHITE_SYNC_DEFAULTS.room;
  const { wsUrl } = syncEndpoints(options.url, room);
  const engine = new NetworkSyncEngine({
    wsUrl,
    roomId: room,
    userId: options.userId ?? KALPHITE_SYNC_DEFAULTS.userId,
    ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
    storage: createPGliteSyncStorage(db),
    ...serverSideWebSocket(),
    // Offline first: keep trying (each attempt waits up to maxReconnectDelay).
    reconnectAttempts: 1_000_000_000,
    reconnectDelay: options.retryDelayMs ?? KALPHITE_SYNC_DEFAULTS.retryDelayMs,
    maxReconnectDelay: Math.max(options.maxRetryDelayMs ?? KALPHITE_SYNC_DEFAULTS.maxRetryDelayMs, options.retryDelayMs ?? 0),
  });
  await engine.init();
  const types = options.entityTypes ? new Set(options.entityTypes) : undefined;
  const bindable: BindableStore =
    types === undefined
      ? (store as unknown as BindableStore)
      : {
          subscribe: (listener) =>
            store.subscribe((changes) => {
              const mine = (changes as readonly ChangeRecord<BaseEntity>[]).filter((c) => types.has(c.entityType));
              if (mine.length > 0) listener(mine);
            }),
          applyRemote: (changes) => store.applyRemote([...changes].filter((c) => types.has(c.entityType))),
        };
  const unbind = bindStore(bindable, engine);
  const rejected = new Listeners<KalphiteRejection>(reportError);
  const errors = new Listeners<Error>(reportError);
  const status = new Listeners<"connected" | "connecting" | "disconnected">(reportError);
  const offs = [
    unbind,
    engine.on("status", (s) => status.emit(s)),
    engine.on("error", (error) => {
      errors.emit(error);
      if (error.code === SyncErrorCode.Rejected) rejected.emit({ name: "change", args: [], error: error.message });
    }),
  ];
  const sync: KalphiteSync = {
    mode: "entities",
    engine,
    optimistic: undefined,
    status: () => ({
      mode: "entities",
      url: options.url,
      room,
      clientId: engine.getClientId() ?? "",
      connection: engine.getConnectionStatus(),
      pendingOperations: engine.getOfflineQueueSize(),
      stateVersion: String(engine.getServerSequence()),
    }),
    connect: () => engine.connect(),
    disconnect: () => engine.disconnect(),
    flush: async () => {
      // bindStore sends on the store's notification: let this tick's writes reach the engine first.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await engine.flush();
    },
    onStatus: (listener) => status.add(listener),
    onRejected: (listener) => rejected.add(listener),
    onError: (listener) => errors.add(listener),
  };
  if (options.connect !== false) void engine.connect().catch(reportError);
  return {
    sync,
    mutate: {},
    close: async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      for (const off of offs) off();
      // Resolves once the queue's writes are in storage.
      await engine.disconnect();
    },
  };
}
