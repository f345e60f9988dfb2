/**
 * The convergence soak: the real `kalphite-server` (apps/sync-server, PGlite
 * data directory) and real client processes (`client-process.ts`) talking
 * through a loopback fault proxy, with the server and clients killed
 * (SIGKILL) and restarted at random moments. At the end: quiesce, drain, and
 * check every client's final read equals the server's state, no operation
 * was applied twice, and every operation a client saw confirmed is in the
 * server's state.
 *
 *   pnpm test:soak                      # 20 clients × 10,000 operations
 *   node --import tsx packages/testing/soak/soak.ts --clients 4 --operations 200 --seed 7 --chaos-every 1500
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRandom } from "../src/random";
import { FaultProxy, type ProxyFaults, type ProxyStats } from "./fault-proxy";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");
const TOKEN = "soak-token";

/** Options of `runSoak`. */
export interface SoakOptions {
  /** @default 20 */
  clients?: number;
  /** Operations each client issues. @default 10000 */
  operations?: number;
  /** @default 1 */
  seed?: number;
  /** Mean ms between two chaos events (kill a client, kill the server, cut connections). @default 4000 */
  chaosEveryMs?: number;
  faults?: Partial<ProxyFaults>;
  /** Longest wait for convergence after the quiesce, ms. @default 300000 */
  convergeTimeoutMs?: number;
  /** Progress lines. @default none */
  log?: (line: string) => void;
}

/** What the soak measured. */
export interface SoakReport {
  clients: number;
  /** Operations issued by all clients. */
  operations: number;
  confirmed: number;
  refused: number;
  faults: ProxyStats;
  clientKills: number;
  serverKills: number;
  /** Confirmed operations missing from the server's state (must be 0). */
  lost: number;
  /** Operations whose effect is in the server's state more than once (must be 0). */
  duplicated: number;
  /** Own `addTodo`s refused as already existing: an operation sent again under a new id (refused, so not applied twice). */
  resentUnderNewId: number;
  /** Clients whose final read differs from the server's state (must be 0). */
  diverged: number;
  /** ms from the quiesce to every client reading the server's state. */
  convergeMs: number;
  wallMs: number;
  problems: string[];
}

/** Every child process the soaks of this process started and did not kill yet (for a Ctrl-C clean-up). */
const live = new Set<ChildProcess>();

interface Proc {
  child: ChildProcess | undefined;
  lines: ((line: string) => void)[];
}

function nodeArgs(script: string, args: string[]): [string, string[], NodeJS.ProcessEnv] {
  return [process.execPath, ["--import", "tsx", script, ...args], { ...process.env, TSX_TSCONFIG_PATH: join(root, "tsconfig.base.json") }];
}

/** Runs the soak; resolves with its figures (check `problems`, `lost`, `duplicated`, `diverged`). */
export async function runSoak(options: SoakOptions = {}): Promise<SoakReport> {
  const started = performance.now();
  const clients = options.clients ?? 20;
  const operations = options.operations ?? 10_000;
  const seed = options.seed ?? 1;
  const log = options.log ?? (() => undefined);
  const random = createRandom(seed);
  const dir = mkdtempSync(join(tmpdir(), "kalphite-soak-"));
  const problems: string[] = [];
  let serverPort = 0;
  let serverUp = false;
  let clientKills = 0;
  let serverKills = 0;
  const server: Proc = { child: undefined, lines: [] };
  const procs: Proc[] = Array.from({ length: clients }, () => ({ child: undefined, lines: [] }));
  const issuedAll = new Set<number>();
  const proxy = new FaultProxy(() => (serverUp ? { port: serverPort } : undefined), createRandom(seed * 7919), {
    dropRequest: options.faults?.dropRequest ?? 0.03,
    dropAnswer: options.faults?.dropAnswer ?? 0.03,
    duplicate: options.faults?.duplicate ?? 0.03,
    maxDelayMs: options.faults?.maxDelayMs ?? 20,
  });
  const proxyUrl = await proxy.listen();

  const watch = (proc: Proc, child: ChildProcess, name: string) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      for (const fn of [...proc.lines]) fn(line);
    });
    child.stderr?.on("data", (d: Buffer) => {
      const text = d.toString().trim();
      if (text && !/\bwarn\b/.test(text)) log(`${name} stderr: ${text.slice(0, 300)}`);
    });
  };
  const waitLine = (proc: Proc, test: (line: string) => boolean, ms: number, what: string) =>
    new Promise<string>((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        proc.lines = proc.lines.filter((f) => f !== fn);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      }, ms);
      const fn = (line: string) => {
        if (!test(line)) return;
        clearTimeout(timer);
        proc.lines = proc.lines.filter((f) => f !== fn);
        resolvePromise(line);
      };
      proc.lines.push(fn);
    });

  const startServer = async () => {
    const [cmd, args, env] = nodeArgs(join(root, "apps/sync-server/src/cli.ts"), ["--port", String(serverPort), "--data-dir", join(dir, "server"), "--token", TOKEN, "--quiet"]);
    for (let attempt = 0; ; attempt++) {
      const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
      live.add(child);
      child.once("exit", () => live.delete(child));
      server.child = child;
      watch(server, child, "server");
      const exited = new Promise<string>((r) => child.once("exit", (code) => r(`exit ${code}`)));
      const line = await Promise.race([waitLine(server, (l) => l.startsWith("listening on "), 60_000, "the server"), exited]);
      if (line.startsWith("listening on ")) {
        serverPort = Number(new URL(line.slice("listening on ".length)).port);
        serverUp = true;
        child.once("exit", () => {
          if (server.child === child) serverUp = false;
        });
        return;
      }
      if (attempt >= 5) throw new Error(`kalphite-server did not start (${line})`);
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  const killServer = () => {
    serverUp = false;
    server.child?.kill("SIGKILL");
    server.child = undefined;
    serverKills++;
  };

  const startClient = (i: number) => {
    const [cmd, args, env] = nodeArgs(join(here, "client-process.ts"), [`soak-${i}`, proxyUrl, TOKEN, String(operations), String(seed * 1000 + i), dir]);
    const child = spawn(cmd, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    live.add(child);
    child.once("exit", () => live.delete(child));
    child.stdin?.on("error", () => undefined);
    const proc = procs[i] as Proc;
    proc.child = child;
    watch(proc, child, `client ${i}`);
    proc.lines.push((line) => {
      if (line === "issued-all") issuedAll.add(i);
    });
  };
  const killClient = (i: number) => {
    const proc = procs[i] as Proc;
    proc.child?.kill("SIGKILL");
    proc.child = undefined;
    proc.lines = [];
    clientKills++;
  };

  try {
    await startServer();
    log(`server on port ${serverPort}, proxy ${proxyUrl}, data in ${dir}`);
    for (let i = 0; i < clients; i++) startClient(i);

    // ---- chaos until every client issued its operations ----------------------
    const mean = options.chaosEveryMs ?? 4000;
    const restarts: Promise<void>[] = [];
    let round = 0;
    // At least two rounds (one client kill, one server kill), then until every client issued everything.
    while (issuedAll.size < clients || round < 2) {
      await new Promise((r) => setTimeout(r, random.int(mean / 2, (mean * 3) / 2)));
      if (issuedAll.size >= clients && round >= 2) break;
      round++;
      // Round 2 kills the server and round 1 a client, so even a short soak has both.
      const roll = round === 1 ? 0 : round === 2 ? 99 : random.int(0, 99);
      if (roll < 55) {
        const i = random.int(0, clients - 1);
        if (procs[i]?.child) {
          killClient(i);
          const downMs = random.int(0, 800);
          restarts.push(new Promise<void>((r) => setTimeout(() => (startClient(i), r()), downMs)));
        }
      } else if (roll < 75) {
        proxy.cut();
      } else if (serverUp) {
        killServer();
        const downMs = random.int(0, 800);
        await new Promise((r) => setTimeout(r, downMs));
        await startServer();
      }
      if (round % 10 === 0) {
        let issued = 0;
        for (let i = 0; i < clients; i++) {
          const file = join(dir, `soak-${i}.next`);
          if (existsSync(file)) issued += Number(readFileSync(file, "utf8"));
        }
        log(`chaos round ${round}: ${issued}/${clients * operations} operations issued, ${issuedAll.size}/${clients} clients done; kills ${clientKills} clients, ${serverKills} server; ${proxy.stats.requests} requests (${((performance.now() - started) / 1000).toFixed(0)} s)`);
      }
    }
    await Promise.all(restarts);
    if (!serverUp) await startServer();

    // ---- quiesce, drain, read ----------------------------------------------------
    log("quiesce: no more faults; draining");
    proxy.healed = true;
    const quiesced = performance.now();
    const timeout = options.convergeTimeoutMs ?? 300_000;
    for (const p of procs) p.child?.stdin?.write("quiesce\n");
    await Promise.all(procs.map((p, i) => {
      const flushed = waitLine(p, (l) => l === "flushed", timeout, `client ${i} to flush`);
      p.child?.stdin?.write("flush\n");
      return flushed;
    }));
    const serverState = await readServerState(serverPort);
    const reads = await Promise.all(procs.map(async (p, i) => {
      const line = waitLine(p, (l) => l.startsWith("read ") || l.startsWith("read-failed"), timeout, `client ${i} to read`);
      p.child?.stdin?.write("read\n");
      const got = await line;
      if (!got.startsWith("read ")) throw new Error(`client ${i}: ${got}`);
      return JSON.parse(readFileSync(got.slice(5), "utf8")) as { version: string; pending: number; entities: Entity[] };
    }));
    const convergeMs = performance.now() - quiesced;

    // ---- checks -------------------------------------------------------------------
    const canonical = (list: Entity[]) => JSON.stringify([...list].sort((a, b) => (a.type + a.id < b.type + b.id ? -1 : 1)).map((e) => sortKeys(e)));
    const expected = canonical(serverState.entities);
    let diverged = 0;
    reads.forEach((read, i) => {
      if (read.pending !== 0 || canonical(read.entities) !== expected) {
        diverged++;
        problems.push(`client ${i} read differs from the server's state (version ${read.version} vs ${serverState.stateVersion}, ${read.entities.length} vs ${serverState.entities.length} entities, ${read.pending} pending)`);
      }
    });
    const todos = new Map(serverState.entities.filter((e) => e.type === "todo").map((e) => [e.id, e as Entity & { notes?: { text: string }[] }]));
    const noteCount = new Map<string, number>();
    for (const todo of todos.values()) for (const note of todo.notes ?? []) noteCount.set(note.text, (noteCount.get(note.text) ?? 0) + 1);
    let duplicated = 0;
    for (const [text, n] of noteCount) {
      if (n > 1) {
        duplicated += n - 1;
        if (problems.length < 40) problems.push(`note ${JSON.stringify(text)} is in the server's state ${n} times (an operation applied twice)`);
      }
    }
    let confirmed = 0;
    let refused = 0;
    let lost = 0;
    let resentUnderNewId = 0;
    let issued = 0;
    for (let i = 0; i < clients; i++) {
      const id = `soak-${i}`;
      issued += Number(readFileSync(join(dir, `${id}.next`), "utf8"));
      const file = join(dir, `${id}.confirmed`);
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, "utf8").split("\n")) {
        if (!line) continue;
        let entry: { id: number; name: string; args: [{ id: string; text?: string }]; ok: boolean; error?: string };
        try {
          entry = JSON.parse(line);
        } catch {
          continue; // a line cut by kill -9
        }
        if (!entry.ok) {
          refused++;
          if (entry.name === "addTodo" && entry.args[0].id.startsWith(`${id}-`) && /already exists/.test(entry.error ?? "")) resentUnderNewId++;
          continue;
        }
        confirmed++;
        const arg = entry.args[0];
        const missing =
          (entry.name === "addTodo" && !todos.has(arg.id)) ||
          (entry.name === "addNote" && !noteCount.has(arg.text as string));
        if (missing) {
          lost++;
          if (problems.length < 40) problems.push(`acknowledged write lost: ${id}#${entry.id} ${entry.name}(${JSON.stringify(arg)}) was confirmed but is not in the server's state`);
        }
      }
    }
    if (resentUnderNewId > 0) problems.push(`${resentUnderNewId} own addTodo operations were refused as already existing: sent again under a new id`);
    return {
      clients, operations: issued, confirmed, refused, faults: { ...proxy.stats }, clientKills, serverKills,
      lost, duplicated, resentUnderNewId, diverged, convergeMs, wallMs: performance.now() - started, problems,
    };
  } finally {
    for (const p of procs) p.child?.kill("SIGKILL");
    server.child?.kill("SIGKILL");
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Entity {
  id: string;
  type: string;
  [key: string]: unknown;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, sortKeys(v)]));
  return value;
}

async function readServerState(port: number): Promise<{ stateVersion: string; entities: Entity[] }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/sync/state`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` }, body: "{}" });
      if (res.ok) return (await res.json()) as { stateVersion: string; entities: Entity[] };
      throw new Error(`status ${res.status}`);
    } catch (error) {
      if (attempt >= 20) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Prints the figures, one per line. */
export function formatSoakReport(r: SoakReport): string {
  const f = r.faults;
  return [
    `soak: ${r.clients} clients, ${r.operations} operations issued (${r.confirmed} confirmed, ${r.refused} refused)`,
    `faults injected: ${f.droppedRequests + f.droppedAnswers + f.duplicated + f.delayed + f.cuts} (requests dropped ${f.droppedRequests}, answers dropped ${f.droppedAnswers}, duplicated ${f.duplicated}, delayed ${f.delayed}, connection cuts ${f.cuts}; ${f.serverDown} requests met a down server; ${f.requests} requests)`,
    `kills (SIGKILL + restart): ${r.clientKills} clients, ${r.serverKills} server`,
    `lost: ${r.lost}`,
    `duplicated: ${r.duplicated}${r.resentUnderNewId ? ` (+${r.resentUnderNewId} re-sent under a new id, refused)` : ""}`,
    `diverged clients: ${r.diverged}`,
    `time to converge after quiesce: ${(r.convergeMs / 1000).toFixed(1)} s (whole soak ${(r.wallMs / 1000).toFixed(1)} s)`,
    ...r.problems.map((p) => `problem: ${p}`),
  ].join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const stop = () => {
    for (const child of live) child.kill("SIGKILL");
    process.exit(130);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const report = await runSoak({
    ...(arg("chaos-every") === undefined ? {} : { chaosEveryMs: arg("chaos-every") as number }),
    ...(arg("clients") === undefined ? {} : { clients: arg("clients") as number }),
    ...(arg("operations") === undefined ? {} : { operations: arg("operations") as number }),
    ...(arg("seed") === undefined ? {} : { seed: arg("seed") as number }),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`${formatSoakReport(report)}\n`);
  process.exit(report.lost === 0 && report.duplicated === 0 && report.diverged === 0 && report.problems.length === 0 ? 0 : 1);
}
