import { onTestFinished } from "vitest";
import { NetworkSyncEngine } from "./network-sync-engine";
import { createWebSocketSyncServer, type WebSocketSyncServer } from "./server/create-server";
import type { WebSocketSyncServerOptions } from "./server/server-options";
import type { SyncConfig } from "./types";

/** Starts a server on 127.0.0.1, port 0, closed when the test ends (pass or fail). */
export async function startServer(options: WebSocketSyncServerOptions = {}): Promise<WebSocketSyncServer> {
  const server = await createWebSocketSyncServer({ port: 0, host: "127.0.0.1", ...options });
  onTestFinished(() => server.close());
  return server;
}

/** An engine for `server`'s room, disconnected when the test ends. */
export function makeEngine(server: { url: string }, config: Partial<SyncConfig> & { userId?: string } = {}): NetworkSyncEngine {
  const engine = new NetworkSyncEngine({ wsUrl: server.url, roomId: "room", userId: config.userId ?? "user", ...config });
  onTestFinished(() => engine.disconnect());
  return engine;
}

/** Resolves when `predicate()` holds, checking after each macrotask (real sockets need real I/O turns); fails after `turns`. */
export async function eventually(predicate: () => boolean, what = "condition", turns = 2_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (predicate()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`eventually: ${what} never held`);
}

/** A todo entity. */
export function todo(id: string, fields: Record<string, unknown> = {}, updatedAt = 1_000): { id: string; type: "todo"; updatedAt: number; [k: string]: unknown } {
  return { id, type: "todo", title: `todo ${id}`, done: false, updatedAt, ...fields };
}
