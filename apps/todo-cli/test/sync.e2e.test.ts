// End to end, real processes: a kalphite-server and two kalphite-todo data
// directories (a and b) syncing through it in operations mode (the shared
// todo-model mutators), plus entities mode, offline edits, kill -9 of the
// server, and refused tokens.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVER_BIN, ensureBuilt as ensureServerBuilt } from "../../sync-server/test/helpers";
import { ensureBuilt, freshDataDir, run, tempDir, type RunResult } from "./helpers";

interface Server {
  readonly url: string;
  readonly port: number;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const children = new Set<ChildProcessWithoutNullStreams>();

/** `kalphite-server --port <port> --data-dir <dir> --token secret`, resolved once it printed its URL. */
async function startServer(dataDir: string, port = 0): Promise<Server> {
  const child = spawn(process.execPath, [SERVER_BIN, "--port", String(port), "--data-dir", dataDir, "--token", "secret", "--quiet"], { stdio: ["pipe", "pipe", "pipe"] });
  children.add(child);
  let out = "";
  let err = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const exited = new Promise<void>((resolve) => child.on("exit", () => (children.delete(child), resolve())));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    void exited.then(() => reject(new Error(`kalphite-server exited before listening:\n${err}`)));
  });
  return {
    url,
    port: Number(new URL(url).port),
    kill: async (signal = "SIGTERM") => {
      child.kill(signal);
      await exited;
    },
  };
}

const titles = (result: RunResult) => {
  expect(result.stderr).not.toMatch(/cannot open/);
  return (JSON.parse(result.stdout) as { title: string; completed: boolean }[]).map((t) => `${t.title}${t.completed ? " ✓" : ""}`).sort();
};
const env = { KALPHITE_TODO_SYNC_TOKEN: "secret", KALPHITE_TODO_SYNC_WAIT_MS: "8000" };
/** `kalphite-todo --data-dir dir --sync url …args`. */
const todo = (dir: string, url: string, args: readonly string[], extra: Record<string, string | undefined> = {}) => run(["--sync", url, ...args], { dataDir: dir, env: { ...env, ...extra } });
const list = async (dir: string, url: string) => titles(await todo(dir, url, ["list", "--all", "--json"]));
/** Lists until `expected` shows (a pull may trail a notification by a moment). */
async function eventually(dir: string, url: string, expected: string[]): Promise<void> {
  let seen: string[] = [];
  for (let i = 0; i < 5; i++) {
    seen = await list(dir, url);
    if (JSON.stringify(seen) === JSON.stringify([...expected].sort())) return;
  }
  expect(seen).toEqual([...expected].sort());
}

beforeAll(async () => {
  await Promise.all([ensureBuilt(), ensureServerBuilt()]);
}, 180_000);
afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
});

describe("kalphite-todo --sync: two clients, one kalphite-server (operations mode)", () => {
  let server: Server;
  let a: string;
  let b: string;
  const serverDir = join(tempDir(), "server");
  beforeAll(async () => {
    [server, a, b] = await Promise.all([startServer(serverDir), freshDataDir(), freshDataDir()]);
  }, 60_000);
  afterAll(async () => {
    await server?.kill();
  });

  it("edits on one appear on the other, as the shared mutators; sync status shows connection, pending and version", async () => {
    const added = await todo(a, server.url, ["add", "Buy milk", "--tag", "errand"]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stderr).toBe("");
    await eventually(b, server.url, ["Buy milk"]);
    const id = (JSON.parse((await todo(b, server.url, ["list", "--json"])).stdout) as { id: string }[])[0]!.id;
    expect((await todo(b, server.url, ["done", id])).code).toBe(0);
    expect((await todo(b, server.url, ["edit", id, "--title", "Buy oat milk"])).code).toBe(0);
    await eventually(a, server.url, ["Buy oat milk ✓"]);

    const status = await todo(a, server.url, ["sync", "status", "--json"]);
    expect(JSON.parse(status.stdout)).toMatchObject({ mode: "operations", connection: "connected", pendingOperations: 0, url: server.url });
    expect(Number(JSON.parse(status.stdout).stateVersion)).toBeGreaterThanOrEqual(3);
    // The server ran the named mutators (not built-in upserts): its log says so only at debug level, its state shows the effect.
    const state = (await (await fetch(`${server.url}/sync/state`, { method: "POST", headers: { authorization: "Bearer secret" }, body: "{}" })).json()) as { entities: { title: string; tags: string[] }[] };
    expect(state.entities).toEqual([expect.objectContaining({ title: "Buy oat milk", tags: ["errand"], completed: true })]);
  }, 90_000);

  it("sync connect remembers the server in the data directory; sync off forgets it", async () => {
    const connected = await run(["sync", "connect", server.url, "--token", "secret"], { dataDir: b });
    expect(connected.stdout).toContain(`Sync on: ${server.url} (operations)`);
    expect(connected.stdout).toContain("Connected.");
    const plain = await run(["list", "--all", "--json"], { dataDir: b }); // no --sync: remembered
    expect(titles(plain)).toEqual(["Buy oat milk ✓"]);
    expect((await run(["sync", "status"], { dataDir: b })).stdout).toMatch(/Connection:\s+connected/);
    expect((await run(["sync", "off"], { dataDir: b })).stdout).toContain("Sync off");
    expect((await run(["sync", "status"], { dataDir: b })).stdout).toContain("Sync is off");
  }, 60_000);

  it("an operation the server refuses is reported and rolled back", async () => {
    const added = await todo(a, server.url, ["add", "Doomed", "--json"]);
    const id = (JSON.parse(added.stdout) as { id: string }).id;
    await eventually(b, server.url, ["Buy oat milk ✓", "Doomed"]);
    // a edits it while offline (a dead port: the edit waits in a's queue) …
    const offline = await todo(a, "http://127.0.0.1:9", ["edit", id, "--title", "Edited offline"], { KALPHITE_TODO_SYNC_WAIT_MS: "0" });
    expect(offline.stderr).toContain("offline: 1 change waits");
    // … b deletes it meanwhile; when a comes back the server refuses editTodo (no such todo).
    expect((await todo(b, server.url, ["rm", id])).code).toBe(0);
    const back = await todo(a, server.url, ["list", "--all", "--json"]);
    expect(back.stderr).toMatch(/the server refused editTodo: .*(rolled back)/);
    expect(await list(a, server.url)).toEqual(["Buy oat milk ✓"]);
  }, 90_000);

  it("watch in two shells shows each other's edits live", async () => {
    const [a, b] = await Promise.all([freshDataDir(), freshDataDir()]);
    let shellA: ChildProcessWithoutNullStreams | undefined;
    let promptA!: () => void;
    const aReady = new Promise<void>((resolve) => (promptA = resolve));
    const aDone = run(["--sync", server.url], {
      dataDir: a,
      env,
      onSpawn: (child) => {
        shellA = child;
        let out = "";
        child.stdout.on("data", (chunk: Buffer | string) => {
          out += String(chunk);
          if (out.includes("kalphite> ")) promptA();
        });
      },
    });
    await aReady;
    let sent = false;
    const bDone = run(["--sync", server.url], {
      dataDir: b,
      env,
      onSpawn: (child) => {
        let out = "";
        const giveUp = setTimeout(() => (child.stdin.end("exit\n"), shellA?.stdin.end("exit\n")), 60_000);
        child.stdout.on("data", (chunk: Buffer | string) => {
          out += String(chunk);
          // b's live list is on screen: a adds a todo in its own shell.
          if (!sent && out.includes("── live list")) {
            sent = true;
            shellA!.stdin.write('add "Live from a"\n');
          }
          if (out.split("── live list").slice(1).some((draw) => draw.includes("Live from a"))) {
            clearTimeout(giveUp);
            child.stdin.end("exit\n");
            shellA!.stdin.end("exit\n");
          }
        });
        child.stdin.write("watch\n");
      },
    });
    const [ra, rb] = await Promise.all([aDone, bDone]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    expect(ra.stdout).toMatch(/Added \w{4,}  Live from a/);
    const draws = rb.stdout.split("── live list").slice(1);
    expect(draws.length).toBeGreaterThanOrEqual(2);
    expect(draws.at(-1)).toContain("Live from a");
    expect(draws[0]).not.toContain("Live from a");
  }, 120_000);
});

/** Polls the server's state until `done(titles)` holds (30 s at most). */
async function untilServerHas(url: string, done: (titles: string[]) => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const response = await fetch(`${url}/sync/state`, { method: "POST", headers: { authorization: "Bearer secret" }, body: "{}" }).catch(() => undefined);
    const state = response?.ok ? ((await response.json()) as { entities: { title: string }[] }) : undefined;
    if (state !== undefined && done(state.entities.map((e) => e.title))) return;
    if (Date.now() > deadline) throw new Error("the server never received what the test waits for");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("offline, kill -9, restart: both clients converge, nothing acknowledged is lost", () => {
  it("converges after offline edits on both sides and after a kill -9 mid-stream", async () => {
    const serverDir = join(tempDir(), "server");
    let server = await startServer(serverDir);
    const port = server.port;
    const url = server.url;
    const [a, b] = await Promise.all([freshDataDir(), freshDataDir()]);
    expect((await todo(a, url, ["add", "Before"])).code).toBe(0);
    await eventually(b, url, ["Before"]);

    // Server down: both keep working, each edit waits in its own data directory.
    await server.kill("SIGTERM");
    const offA = await todo(a, url, ["add", "Offline on a"], { KALPHITE_TODO_SYNC_WAIT_MS: "0" });
    const offB = await todo(b, url, ["add", "Offline on b"], { KALPHITE_TODO_SYNC_WAIT_MS: "0" });
    expect(offA.code).toBe(0);
    expect(offB.stderr).toContain("offline: 1 change waits");
    server = await startServer(serverDir, port);
    expect(await list(a, url)).toContain("Offline on a"); // pushed now
    await eventually(b, url, ["Before", "Offline on a", "Offline on b"]);
    await eventually(a, url, ["Before", "Offline on a", "Offline on b"]);

    // kill -9 while a's adds stream in: whatever a was told is added, the server has after its restart.
    const adds = Promise.all(["One", "Two", "Three"].map((t) => todo(a, url, ["add", `Streamed ${t}`], { KALPHITE_TODO_SYNC_WAIT_MS: "2000" })));
    // Killed once the stream has reached the server (at least one add pushed), not after a guessed delay.
    await untilServerHas(url, (titles) => titles.some((t) => t.startsWith("Streamed ")));
    await server.kill("SIGKILL");
    const results = await adds;
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    server = await startServer(serverDir, port);
    const everything = ["Before", "Offline on a", "Offline on b", "Streamed One", "Streamed Two", "Streamed Three"];
    await eventually(a, url, everything);
    await eventually(b, url, everything);
    const status = JSON.parse((await todo(a, url, ["sync", "status", "--json"])).stdout) as { pendingOperations: number };
    expect(status.pendingOperations).toBe(0);
    await server.kill();
  }, 180_000);
});

describe("tokens and entities mode", () => {
  let server: Server;
  beforeAll(async () => {
    server = await startServer(join(tempDir(), "server"));
  }, 60_000);
  afterAll(async () => {
    await server?.kill();
  });

  it.each([
    ["a bad token", { KALPHITE_TODO_SYNC_TOKEN: "wrong" }],
    ["no token", { KALPHITE_TODO_SYNC_TOKEN: undefined }],
  ])("refuses %s: reported, nothing reaches the server, the change stays pending here", async (_what, tokenEnv) => {
    const dir = await freshDataDir();
    const result = await todo(dir, server.url, ["add", "Sneaky"], { ...tokenEnv, KALPHITE_TODO_SYNC_WAIT_MS: "500", KALPHITE_TODO_SYNC_CONNECT_MS: "1500" });
    expect(result.code).toBe(0); // offline first: the todo is added here
    expect(result.stderr).toContain("the sync server refused the token");
    expect(result.stderr).toContain("offline: 1 change waits");
    const state = (await (await fetch(`${server.url}/sync/state`, { method: "POST", headers: { authorization: "Bearer secret" }, body: "{}" })).json()) as { entities: { title: string }[] };
    expect(state.entities.map((e) => e.title)).not.toContain("Sneaky");
  }, 60_000);

  it("--sync-mode entities syncs entity changes over /sync/ws", async () => {
    const [a, b] = await Promise.all([freshDataDir(), freshDataDir()]);
    const entities = (dir: string, args: string[]) => todo(dir, server.url, ["--sync-mode", "entities", ...args]);
    expect((await entities(a, ["add", "Over WebSocket"])).code).toBe(0);
    let seen: string[] = [];
    for (let i = 0; i < 5 && !seen.includes("Over WebSocket"); i++) seen = titles(await entities(b, ["list", "--all", "--json"]));
    expect(seen).toEqual(["Over WebSocket"]);
    const status = JSON.parse((await entities(b, ["sync", "status", "--json"])).stdout);
    expect(status).toMatchObject({ mode: "entities", connection: "connected", pendingOperations: 0 });
  }, 60_000);
});
