// `pnpm web [--port 5173] [--server-port 8787] [--data-dir DIR] [--token secret]`:
// builds the web app with Vite into apps/todo-web/dist, starts kalphite-server
// (PGlite in --data-dir, default apps/todo-web/.server-data), and serves the app with the server's URL injected as
// /config.js. Ctrl-C stops both.
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { appDir, buildApp, ensureServerBuilt, serveApp, startSyncServer } from "../test/harness";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "5173" },
    "server-port": { type: "string", default: "8787" },
    "data-dir": { type: "string" },
    token: { type: "string" },
  },
});

const port = (name: string, value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535) throw new Error(`--${name} must be a port number (0-65535), got ${JSON.stringify(value)}`);
  return n;
};

const outDir = join(appDir, "dist");
const dataDir = values["data-dir"] === undefined ? join(appDir, ".server-data") : resolve(values["data-dir"]);
console.log("building the app and the server…");
await Promise.all([buildApp(outDir), ensureServerBuilt()]);
const token = values.token;
const server = await startSyncServer(dataDir, port("server-port", values["server-port"]), token === undefined ? [] : ["--token", token]);
const app = await serveApp(outDir, { server: server.url, ...(token === undefined ? {} : { token }) }, port("port", values.port));
console.log(`sync server  ${server.url}  (data in ${dataDir})`);
console.log(`todo app     ${app.url}  (open it in two browsers to see them sync)`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await app.close();
  await server.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
