import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { lockDirOf } from "../src/lock";
import { ensureBuilt, freshDataDir, run } from "./helpers";

interface TodoJson {
  title: string;
}

const titles = async (dir: string) =>
  (JSON.parse((await run(["list", "--all", "--json"], { dataDir: dir })).stdout) as TodoJson[]).map((t) => t.title).sort();

beforeAll(async () => {
  await ensureBuilt();
});

describe("kalphite-todo: several processes on one data directory", () => {
  it("one-shot adds started together all succeed: the first holds the directory and serves the others", async () => {
    const dir = await freshDataDir();
    const names = Array.from({ length: 5 }, (_, i) => `Parallel ${i}`);
    const results = await Promise.all(names.map((name) => run(["add", name], { dataDir: dir })));
    for (const result of results) expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(await titles(dir)).toEqual(names);
    expect(existsSync(lockDirOf(dir))).toBe(false);
  });

  it("reads and writes are served by a running shell, with the client's working directory and clock", async () => {
    const dir = await freshDataDir();
    const results: Awaited<ReturnType<typeof run>>[] = [];
    const outcome = await run([], {
      dataDir: dir,
      onSpawn: (child) => {
        child.stdin.write('add "Held by the shell"\n');
        child.stdout.once("data", async () => {
          const served = await run(["add", "Due soon", "--due", "tomorrow", "--json"], { dataDir: dir, env: { KALPHITE_TODO_NOW: "2030-05-05T10:00:00" } });
          const stats = await run(["stats", "--json"], { dataDir: dir });
          const badFlag = await run(["add", "x", "--bogus"], { dataDir: dir });
          child.stdin.end(`# ${served.code} ${stats.code}\nlist --json\nexit\n`);
          results.push(served, stats, badFlag);
        });
      },
    });
    const [served, stats, badFlag] = results;
    expect(outcome.code).toBe(0);
    expect(JSON.parse(served!.stdout)).toMatchObject({ title: "Due soon", due: "2030-05-06" });
    expect(JSON.parse(stats!.stdout)).toMatchObject({ total: 2 });
    expect(badFlag).toMatchObject({ code: 1, stdout: "" });
    expect(badFlag!.stderr).toMatch(/^kalphite-todo: unknown option '--bogus'/);
    expect(await titles(dir)).toEqual(["Due soon", "Held by the shell"]);
  });
  it("when the holder dies (kill -9), the next process takes the directory over and finds what was saved", async () => {
    const dir = await freshDataDir();
    await run([], {
      dataDir: dir,
      onSpawn: (child) => {
        child.stdin.write('add "Before the crash"\nexport ' + join(dir, "..", "flushed.tar.gz") + "\n");
        child.stdout.on("data", (chunk: Buffer | string) => {
          if (String(chunk).includes("Exported")) child.kill("SIGKILL");
        });
      },
    });
    // The dead holder's lock is still there; its socket no longer answers.
    expect(existsSync(lockDirOf(dir))).toBe(true);
    const after = await run(["add", "After the crash"], { dataDir: dir });
    expect(after).toMatchObject({ code: 0, stderr: "" });
    expect(await titles(dir)).toEqual(["After the crash", "Before the crash"]);
  });
});
