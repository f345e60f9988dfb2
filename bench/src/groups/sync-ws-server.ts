// A bench server process: `sync-ws-server.ts <impl> <dataDir?>`. Sends `{ port }`
// when listening; answers `{ type: "memory" }` with the settled heap and
// external memory, and exits on `{ type: "stop" }`.
import { createWebSocketSyncServer } from "@kalphite/sync-ws";
import { WebSocketServer, type WebSocket } from "ws";
import { collectGarbage } from "../harness/timing";

const [impl, dataDir] = process.argv.slice(2);

async function start(): Promise<{ port: number; close: () => Promise<void> }> {
  if (impl === "raw-ws") {
    const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
    const sockets = new Set<WebSocket>();
    wss.on("connection", (ws) => {
      sockets.add(ws);
      ws.on("message", (data, isBinary) => {
        const text = isBinary ? data : data.toString();
        for (const other of sockets) if (other !== ws) other.send(text);
      });
      ws.on("close", () => sockets.delete(ws));
    });
    return { port: (wss.address() as { port: number }).port, close: () => new Promise((r) => wss.close(() => r())) };
  }
  const server = await createWebSocketSyncServer({ port: 0, ...(dataDir ? { dataDir } : {}), rateLimit: { maxMessages: 100_000, intervalMs: 1_000 } });
  return { port: server.port, close: () => server.close() };
}

const server = await start();
process.on("message", async (message: { type: string }) => {
  if (message.type === "memory") {
    collectGarbage(3);
    const { heapUsed, external } = process.memoryUsage();
    process.send!({ type: "memory", bytes: heapUsed + external });
  } else if (message.type === "stop") {
    await server.close();
    process.exit(0);
  }
});
process.send!({ type: "port", port: server.port });
