// Two kalphite-server instances on one real PostgreSQL: a client on each
// converges, notifications fan out through LISTEN/NOTIFY, and an instance
// that missed notifications still converges. Needs KALPHITE_TEST_POSTGRES_URL
// (skipped without it, except under CI=true where it fails).
import { rmSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, opsClient, startServer, tempDir, type ServerProcess } from "./helpers";

const adminUrl = process.env.KALPHITE_TEST_POSTGRES_URL;
if (!adminUrl && process.env.CI === "true") throw new Error("KALPHITE_TEST_POSTGRES_URL is not set under CI=true: the PostgreSQL scale-out tests must run in CI");

const TOKEN = "pg-secret";
const dbName = `kalphite_server_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
let dbUrl: string;
let dir: string;
let a: ServerProcess;
let b: ServerProcess;

async function admin<T>(fn: (client: pg.Client) => Promise<T>, url = adminUrl!): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

describe.skipIf(!adminUrl)("two instances on PostgreSQL", () => {
  beforeAll(async () => {
    await ensureBuilt();
    dir = tempDir();
    await admin((c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(dbName)}`));
    const url = new URL(adminUrl!);
    url.pathname = `/${dbName}`;
    dbUrl = url.toString();
    const args = ["--postgres", dbUrl, "--token", TOKEN, "--resync-interval", "200"];
    [a, b] = await Promise.all([startServer([...args, "--data-dir", `${dir}/a`]), startServer([...args, "--data-dir", `${dir}/b`])]);
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    if (adminUrl) await admin((c) => c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(dbName)} WITH (FORCE)`));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("reports postgres storage in /health", async () => {
    expect(await (await fetch(`${a.url}/health`)).json()).toMatchObject({ status: "ok", storage: "postgres" });
  });

  it("a write through one instance reaches a client of the other, both ways, and both converge", async () => {
    const onA = await opsClient(`${a.url}/rooms/team`, { token: TOKEN });
    const onB = await opsClient(`${b.url}/rooms/team`, { token: TOKEN });
    try {
      await onA.engine.executeOperation("addTodo", [{ id: "from-a", title: "written on A", now: 1 }]);
      await onB.until((e) => e.has("todo/from-a"));
      await onB.engine.executeOperation("addTodo", [{ id: "from-b", title: "written on B", now: 2 }]);
      await onB.engine.executeOperation("completeTodo", [{ id: "from-a", now: 3 }]);
      await onA.until((e) => e.has("todo/from-b") && (e.get("todo/from-a") as { completed?: boolean }).completed === true);
      await onB.until((e) => e.has("todo/from-b") && (e.get("todo/from-a") as { completed?: boolean }).completed === true);
      expect([...onA.entities.entries()].sort()).toEqual([...onB.entities.entries()].sort());
      expect(onA.engine.getCurrentStateVersion()).toBe(onB.engine.getCurrentStateVersion());
    } finally {
      await Promise.all([onA.close(), onB.close()]);
    }
  });

  it("an instance whose LISTEN connection dropped still tells its clients, and they converge", async () => {
    const onA = await opsClient(`${a.url}/rooms/resync`, { token: TOKEN });
    const onB = await opsClient(`${b.url}/rooms/resync`, { token: TOKEN });
    try {
      // Drop every LISTEN connection of the database (both instances'), then write at once: those notifications are lost.
      const dropped = await admin((c) =>
        c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()", [dbName]),
      );
      expect(dropped.rowCount).toBeGreaterThan(0);
      await onA.engine.executeOperation("addTodo", [{ id: "missed", title: "sent while B was deaf", now: 1 }]);
      await onB.until((e) => e.has("todo/missed"));
      expect(onB.entities.get("todo/missed")).toMatchObject({ title: "sent while B was deaf" });
    } finally {
      await Promise.all([onA.close(), onB.close()]);
    }
  });

  it("keeps rooms isolated on PostgreSQL (a schema each)", async () => {
    const one = await opsClient(`${a.url}/rooms/one`, { token: TOKEN });
    const two = await opsClient(`${b.url}/rooms/two`, { token: TOKEN });
    try {
      await one.engine.executeOperation("addTodo", [{ id: "only-in-one", title: "x", now: 1 }]);
      const otherOne = await opsClient(`${b.url}/rooms/one`, { token: TOKEN });
      await otherOne.until((e) => e.has("todo/only-in-one"));
      await otherOne.close();
      await two.engine.syncState();
      expect(two.entities.has("todo/only-in-one")).toBe(false);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});
