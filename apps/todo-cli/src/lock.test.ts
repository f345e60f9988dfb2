import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { acquireDataDir, lockDirOf, probeEndpoint, type Acquired } from "./lock";

const fixture = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures", "acquire.mts");
const held: Acquired[] = [];
afterEach(() => {
  for (const a of held.splice(0)) if (a.held) a.lock.release();
});

function dataDir(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "kalphite-lock-")), "data");
  mkdirSync(dir);
  return dir;
}

/** When an old lock was written: a fixed instant far in the past (no clock read). */
const LONG_AGO = new Date("2000-01-01T00:00:00Z");

/**
 * A lock directory as a crashed holder leaves it: owner.json naming `pid`, no
 * socket. `old`: written long ago (its mtime set to `LONG_AGO`); otherwise
 * just written (the file system's own mtime, now).
 */
function staleLock(dir: string, pid: number, old = true): void {
  const lockDir = lockDirOf(dir);
  mkdirSync(lockDir, { mode: 0o700 });
  const owner = join(lockDir, "owner.json");
  writeFileSync(owner, JSON.stringify({ pid, endpoint: join(lockDir, "socket"), since: LONG_AGO.getTime() }));
  // A lock's age is its mtime (`since` only names it in messages).
  if (old) {
    utimesSync(owner, LONG_AGO, LONG_AGO);
    utimesSync(lockDir, LONG_AGO, LONG_AGO);
  }
}

async function acquire(dir: string, graceMs = 200): Promise<Acquired> {
  const result = await acquireDataDir(dir, { graceMs });
  held.push(result);
  if (result.held) result.lock.serve((socket) => socket.destroy());
  return result;
}

describe("acquireDataDir", () => {
  it("holds a free directory, listening on a socket only the user can reach; a second caller finds the holder", async () => {
    const dir = dataDir();
    const first = await acquire(dir);
    expect(first.held).toBe(true);
    if (!first.held) return;
    expect(await probeEndpoint(first.lock.endpoint)).toBe(true);
    const second = await acquire(dir);
    expect(second).toEqual({ held: false, endpoint: first.lock.endpoint, pid: process.pid });
    first.lock.release();
    expect(existsSync(lockDirOf(dir))).toBe(false);
    expect(await probeEndpoint(first.lock.endpoint)).toBe(false);
    expect((await acquire(dir)).held).toBe(true);
  });

  it("takes over a lock whose holder died (its pid is gone)", async () => {
    const dir = dataDir();
    const dead = spawn(process.execPath, ["-e", ""]);
    await new Promise((done) => dead.on("exit", done));
    staleLock(dir, dead.pid!, false); // just written, yet the pid is gone: no grace needed
    expect((await acquire(dir, 60_000)).held).toBe(true);
  });

  it("takes over a stale lock naming a live, unrelated pid (pid reuse): liveness is the socket, not the pid", async () => {
    const dir = dataDir();
    staleLock(dir, process.ppid); // a live process that holds nothing
    expect((await acquire(dir)).held).toBe(true);
  });

  it("waits for a lock being set up (young, not listening yet) instead of stealing it", async () => {
    const dir = dataDir();
    staleLock(dir, process.ppid, false);
    // Within its start-up grace the lock is never taken over: the caller gives up (CONFLICT), the lock stays.
    await expect(acquireDataDir(dir, { graceMs: 60_000, timeoutMs: 150 })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(existsSync(join(lockDirOf(dir), "owner.json"))).toBe(true);
    // Past the grace (the holder never came up), the same lock is taken over.
    expect((await acquire(dir, 0)).held).toBe(true);
  });

  it("several takeovers of one stale lock at once in one process: exactly one wins, the others find it", async () => {
    const dir = dataDir();
    staleLock(dir, process.ppid);
    const results = await Promise.all(Array.from({ length: 8 }, () => acquire(dir)));
    expect(results.filter((r) => r.held)).toHaveLength(1);
    expect(results.filter((r) => !r.held)).toHaveLength(7);
  });

  it("several processes taking over one stale lock at once: exactly one wins", async () => {
    const dir = dataDir();
    staleLock(dir, process.ppid);
    const children = Array.from({ length: 6 }, () =>
      spawn(process.execPath, ["--import", "tsx", fixture, dir], { cwd: join(dirname(fixture), "..", ".."), stdio: ["pipe", "pipe", "inherit"] }),
    );
    const said = children.map(
      (child) =>
        new Promise<string[]>((resolve) => {
          const lines: string[] = [];
          child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
            lines.push(...chunk.split("\n").filter(Boolean));
            if (lines.includes("held") || lines.includes("served")) resolve(lines);
          });
        }),
    );
    // All children loaded and waiting: start them together.
    await Promise.all(
      children.map((child) => new Promise<void>((resolve) => child.stdout.once("data", () => resolve()))),
    );
    for (const child of children) child.stdin.write("go\n");
    const outcomes = (await Promise.all(said)).map((lines) => lines.at(-1));
    for (const child of children) child.stdin.end();
    await Promise.all(children.map((child) => new Promise((done) => child.on("exit", done))));
    expect(outcomes.filter((o) => o === "held")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "served")).toHaveLength(5);
  });
});
