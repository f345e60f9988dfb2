import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { nowMs } from "../harness/timing";
import type { Measurements } from "../harness/types";
import type { ServerParams } from "./server";

const APP = fileURLToPath(new URL("../../../apps/sync-server/", import.meta.url));
const BIN = join(APP, "dist", "cli.js");
const TOKEN = "bench-token";

type PgClient = { connect(): Promise<void>; query(sql: string): Promise<unknown>; end(): Promise<void> };
// node-postgres is a dependency of the server app, not of the bench: load it from there.
const pg = () => createRequire(join(APP, "package.json"))("pg") as { Client: new (o: { connectionString: string }) => PgClient };

async function onAdmin(url: string, sql: string): Promise<void> {
  const client = new (pg().Client)({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function startServer(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, "--port", "0", "--quiet", "--token", TOKEN, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      const match = /listening on (\S+)\n/.exec(out);
      if (match) resolve({ child, url: match[1]! });
    });
    child.once("exit", (code) => reject(new Error(`kalphite-server exited (${code}) before listening`)));
  });
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });

/** Child of the server group: starts the server process(es), pushes through them, stops them. */
export async function runServerChild(impl: string, raw: Record<string, unknown>): Promise<Measurements> {
  const params = raw as unknown as ServerParams;
  if (!existsSync(BIN)) {
    const built = spawnSync(process.execPath, [fileURLToPath(new URL("../../../node_modules/tsup/dist/cli-default.js", import.meta.url))], { cwd: APP, encoding: "utf8" });
    if (built.status !== 0) throw new Error(`building kalphite-server failed: ${built.stderr}`);
  }
  const sync = await import("@kalphite/sync-ops");
  const dir = mkdtempSync(join(tmpdir(), "kalphite-bench-server-"));
  const servers: { child: ChildProcess; url: string }[] = [];
  let dropDb: (() => Promise<void>) | undefined;
  try {
    if (impl === "pglite") servers.push(await startServer(["--data-dir", join(dir, "data")]));
    else {
      if (!params.postgresUrl) throw new Error(`${impl} needs postgresUrl`);
      const name = `kalphite_bench_server_${process.pid}_${Date.now()}`;
      await onAdmin(params.postgresUrl, `CREATE DATABASE ${name}`);
      dropDb = () => onAdmin(params.postgresUrl!, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      const url = new URL(params.postgresUrl);
      url.pathname = `/${name}`;
      const count = impl === "postgres-2" ? 2 : 1;
      // One after the other: the first creates the room's schema.
      for (let i = 0; i < count; i++) servers.push(await startServer(["--postgres", url.toString(), "--data-dir", join(dir, `data-${i}`), "--pool-size", "6"]));
    }

    let seq = 0;
    const pushAll = async (clients: number, perClient: number): Promise<number> => {
      const round = ++seq;
      const engines = Array.from({ length: clients }, (_, c) =>
        new sync.ModernSyncEngine({ baseUrl: servers[c % servers.length]!.url, clientId: `bench-${process.pid}-${round}-${c}`, userId: "bench", authToken: TOKEN, batchSize: params.batch, offlineQueueLimit: 1_000_000, pullInterval: 0 }),
      );
      await Promise.all(engines.map((e) => e.connect()));
      const start = nowMs();
      await Promise.all(
        engines.map(async (e, c) => {
          const queued: Promise<void>[] = [];
          for (let i = 0; i < perClient; i++) queued.push(e.executeOperation("addTodo", [{ id: `t-${round}-${c}-${i}`, title: `todo ${i}`, now: 1_767_225_600_000 + i }]));
          await Promise.all(queued);
          await e.flush();
        }),
      );
      const elapsed = nowMs() - start;
      await Promise.all(engines.map((e) => e.close()));
      return elapsed;
    };

    await pushAll(2, Math.min(500, params.single)); // warm-up (JIT, the room's tables)
    const out: Measurements = {};
    out["push-1"] = await pushAll(1, params.single);
    out["push-many"] = await pushAll(params.clients, params.perClient);
    return out;
  } finally {
    await Promise.all(servers.map((s) => stop(s.child)));
    await dropDb?.();
    rmSync(dir, { recursive: true, force: true });
  }
}
