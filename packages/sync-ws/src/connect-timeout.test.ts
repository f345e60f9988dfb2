import { createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { NetworkSyncEngine } from "./network-sync-engine";

// A real `ws` socket that times out while still connecting: the engine
// terminates it, and `ws` then emits an error ("closed before the connection
// was established") that must not reach the process as an unhandled error.
describe("NetworkSyncEngine over a real ws socket", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it("a connect timeout on a socket that never upgrades is reported, not thrown out of the process", async () => {
    const sockets = new Set<Socket>();
    // Accepts TCP connections and never answers the HTTP upgrade.
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          silent.close(() => resolve());
        }),
    );
    const { port } = silent.address() as { port: number };
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on("uncaughtException", onUncaught);
    cleanups.push(async () => void process.off("uncaughtException", onUncaught));

    const engine = new NetworkSyncEngine({ wsUrl: `ws://127.0.0.1:${port}/sync/ws`, roomId: "room", userId: "ada", clientId: "c1", connectTimeout: 50, reconnectAttempts: 0 });
    cleanups.push(() => engine.disconnect().catch(() => undefined));
    const errors: unknown[] = [];
    engine.on("error", (error) => errors.push(error));
    await expect(engine.connect()).rejects.toBeDefined();
    // Let ws deliver the error it raises on terminate().
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(uncaught).toEqual([]);
    expect(engine.getConnectionStatus()).toBe("disconnected");
  });
});
