import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, freshDataDir, run, type RunResult } from "./helpers";

interface TodoJson {
  id: string;
  title: string;
  completed: boolean;
}

const titles = async (dir: string) =>
  (JSON.parse((await run(["list", "--all", "--json"], { dataDir: dir })).stdout) as TodoJson[]).map((t) => `${t.title}${t.completed ? " (done)" : ""}`);

beforeAll(async () => {
  await ensureBuilt();
});

describe("kalphite-todo shell (no arguments), driven through stdin", () => {
  it("runs the CLI's commands, survives bad lines, keeps a live list, saves on exit", async () => {
    const dir = await freshDataDir();
    const input = [
      'add "Water the plants" --tag home',
      "watch",
      'add "Call mum" -p high',
      "bogus",
      "add Milk --due someday",
      "list --json",
      "help",
      "unwatch",
      "stats",
      "exit",
      "add 'never run: after exit'",
    ].join("\n");
    const { code, stdout, stderr } = await run([], { dataDir: dir, input: `${input}\n` });
    expect(code).toBe(0);
    expect(stdout).toContain("kalphite> ");
    expect(stdout).toMatch(/Added \w{4,}  Water the plants/);
    // watch draws the list now, and again after the next change.
    const draws = stdout.split("── live list").slice(1);
    const rows = (draw: string) => draw.split("\n").filter((line) => line.includes("[ ]")).map((line) => line.replace(/^.*\[ \]\s+\w+\s+(#home)?\s*/, ""));
    expect(draws.map(rows)).toEqual([["Water the plants"], ["Water the plants", "Call mum"]]);
    // Bad lines print their one-line error and the shell carries on.
    expect(stderr).toContain("kalphite-todo: unknown command 'bogus'");
    expect(stderr).toContain('kalphite-todo: invalid due date "someday"');
    expect(stdout).toContain("Usage: kalphite-todo [options] [command]");
    expect(stdout).toContain("Live list stopped.");
    expect(stdout).toMatch(/Todos\s+2 {2}\(2 open, 0 done, 0% complete\)/);
    expect(await titles(dir)).toEqual(["Water the plants", "Call mum"]);
  });

  it("serves a second process's commands while it holds the directory, then flushes and exits 0 on Ctrl-C (SIGINT)", async () => {
    const dir = await freshDataDir();
    let second: Promise<[RunResult, RunResult]> | undefined;
    const result = await run([], {
      dataDir: dir,
      onSpawn: (child) => {
        child.stdout.on("data", (chunk: Buffer | string) => {
          if (second || !String(chunk).includes("Added")) return;
          // PGlite is single-process: the shell holds the directory and runs the other process's commands for it.
          second = (async (): Promise<[RunResult, RunResult]> => [await run(["add", "Sent to the shell"], { dataDir: dir }), await run(["list"], { dataDir: dir })])().finally(() =>
            child.kill("SIGINT"),
          );
        });
        child.stdin.write('add "Saved by the flush"\n');
      },
    });
    const [added, listed] = await second!;
    expect(added).toMatchObject({ code: 0, stderr: "" });
    expect(added.stdout).toMatch(/^Added \w{4,} {2}Sent to the shell\n$/);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/Saved by the flush[\s\S]*Sent to the shell/);
    expect(result.code).toBe(0);
    expect(await titles(dir)).toEqual(["Saved by the flush", "Sent to the shell"]);
  });

  it("refuses a 5 MB title with one line and carries on; a second shell on the same directory is refused", async () => {
    const dir = await freshDataDir();
    const result = await run([], {
      dataDir: dir,
      onSpawn: (child) => {
        child.stdin.write(`add "${"z".repeat(5_000_000)}"\n`);
        let seen = "";
        child.stderr.on("data", async (chunk: Buffer | string) => {
          seen += String(chunk);
          if (second || !seen.includes("characters long")) return;
          second = { code: -1, stdout: "", stderr: "" };
          second = await run([], { dataDir: dir, input: "list\n" });
          child.stdin.end('add "After the big one"\nexit\n');
        });
      },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^kalphite-todo: the title is 5,000,000 characters long; the limit is 500/);
    expect(second!.code).toBe(1);
    expect(second!.stderr).toMatch(/^kalphite-todo: a kalphite-todo shell is already open on .* \(pid \d+\): use that one/);
    expect(await titles(dir)).toEqual(["After the big one"]);
  });
  let second: RunResult | undefined;
});
