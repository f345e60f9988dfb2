import { spawn } from "node:child_process";
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { lockDirOf } from "../src/lock";
import { CLI, NOW, ensureBuilt, freshDataDir, run, tempDir } from "./helpers";

interface TodoJson {
  id: string;
  title: string;
  completed: boolean;
  due?: string | null;
  every?: string | null;
  notes?: { text: string }[];
}

const json = <T>(stdout: string): T => JSON.parse(stdout) as T;

beforeAll(async () => {
  await ensureBuilt();
});

describe("kalphite-todo: finding, dates, recurrence, undo, export", () => {
  let dir: string;
  const list = async (...args: string[]) => json<TodoJson[]>((await run(["list", "--json", ...args], { dataDir: dir })).stdout).map((t) => t.title);
  beforeAll(async () => {
    dir = await freshDataDir();
    // NOW is Thursday 15 January 2026.
    const setup = [
      'add "Buy milk" --due fri --tag errand -P Home --note "the oat one"',
      'add "Call the bank" --due "in 10 days"',
      'add "Read a book"',
      'add "Water the plants" --every week --due "next monday"',
      "exit",
    ].join("\n");
    expect(await run([], { dataDir: dir, input: `${setup}\n` })).toMatchObject({ code: 0, stderr: "" });
  });

  it("searches by words and filters by due date and status", async () => {
    expect(await list("milk")).toEqual(["Buy milk"]);
    expect(await list("OAT")).toEqual(["Buy milk"]); // notes are searched too
    expect(await list("bank", "call")).toEqual(["Call the bank"]);
    expect(await list("--due-before", "+3d")).toEqual(["Buy milk"]);
    expect(await list("--due-after", "2026-01-16")).toEqual(["Call the bank", "Water the plants"]);
    expect(await list("--status", "done")).toEqual([]);
    const none = await run(["list", "zebra"], { dataDir: dir });
    expect(none.stdout).toContain("No todos match these filters.");
  });

  it("reads dates people type: fri, in 10 days, next monday", async () => {
    const todos = json<TodoJson[]>((await run(["list", "--json"], { dataDir: dir })).stdout);
    expect(Object.fromEntries(todos.map((t) => [t.title, t.due ?? null]))).toEqual({
      "Buy milk": "2026-01-16",
      "Call the bank": "2026-01-25",
      "Read a book": null,
      "Water the plants": "2026-01-19",
    });
  });

  it("shows every field and the notes; note adds one", async () => {
    const [milk] = json<TodoJson[]>((await run(["list", "milk", "--json"], { dataDir: dir })).stdout);
    expect(await run(["note", milk!.id, "two litres"], { dataDir: dir })).toMatchObject({ code: 0 });
    const shown = await run(["show", milk!.id.slice(0, 6)], { dataDir: dir });
    expect(shown.code).toBe(0);
    for (const field of ["id", "title", "status", "priority", "due", "project", "tags", "repeats", "created", "updated", "notes"]) {
      expect(shown.stdout).toMatch(new RegExp(`^${field}\\s`, "m"));
    }
    expect(shown.stdout).toContain("Buy milk");
    expect(shown.stdout).toContain("2026-01-16 (tomorrow)");
    expect(shown.stdout).toContain("#errand");
    expect(shown.stdout).toMatch(/the oat one[\s\S]*two litres/);
    expect(json<TodoJson>((await run(["show", milk!.id, "--json"], { dataDir: dir })).stdout).notes!.map((n) => n.text)).toEqual(["the oat one", "two litres"]);
  });

  it("completing a recurring todo creates the next occurrence; edit --no-every stops it", async () => {
    const [water] = json<TodoJson[]>((await run(["list", "water", "--json"], { dataDir: dir })).stdout);
    expect(water!.every).toBe("week");
    const done = await run(["done", water!.id], { dataDir: dir });
    expect(done.stdout).toMatch(/Done \w+ {2}Water the plants\nNext \w+ {2}Water the plants .*due 2026-01-26.*every week/);
    const [next] = json<TodoJson[]>((await run(["list", "water", "--json"], { dataDir: dir })).stdout);
    expect(next).toMatchObject({ due: "2026-01-26", every: "week", completed: false });
    expect(await run(["edit", next!.id, "--no-every"], { dataDir: dir })).toMatchObject({ code: 0 });
    await run(["done", next!.id], { dataDir: dir });
    expect(await list("water")).toEqual([]);
    expect(await list("water", "--all")).toEqual(["Water the plants", "Water the plants"]);
  });

  it("undo reverts the last commands: rm, clear-done, and again the one before", async () => {
    const [book] = json<TodoJson[]>((await run(["list", "book", "--json"], { dataDir: dir })).stdout);
    await run(["rm", book!.id], { dataDir: dir });
    expect(await list("book")).toEqual([]);
    const undone = await run(["undo"], { dataDir: dir });
    expect(undone.stdout).toMatch(/^Undid rm \w+ {2}\(1 restored\)\n$/);
    expect(await list("book")).toEqual(["Read a book"]);

    expect(await run(["clear-done"], { dataDir: dir })).toMatchObject({ code: 0, stdout: "Cleared 2 done todos.\n" });
    expect(await list("water", "--all")).toEqual([]);
    expect((await run(["undo"], { dataDir: dir })).stdout).toMatch(/^Undid clear-done/);
    expect(await list("water", "--all")).toEqual(["Water the plants", "Water the plants"]);
    // The one before: the second `done` of the plants.
    expect((await run(["undo"], { dataDir: dir })).stdout).toMatch(/^Undid done /);
    expect(await list("water")).toEqual(["Water the plants"]);
  });

  it("exports readable JSON and imports it back; import can be undone too", async () => {
    const file = join(tempDir(), "todos.json");
    const exported = await run(["export", file, "--json"], { dataDir: dir });
    expect(json<{ format: string; todos: number }>(exported.stdout)).toMatchObject({ format: "json", todos: 5 });
    const content = json<{ format: string; version: number; todos: TodoJson[] }>(readFileSync(file, "utf8"));
    expect(content).toMatchObject({ format: "kalphite-todo", version: 1 });
    expect(content.todos).toHaveLength(5);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const before = (await list("--all")).sort();
    writeFileSync(file, JSON.stringify({ ...content, todos: content.todos.filter((t) => t.title === "Read a book") }));
    expect(await run(["import", file], { dataDir: dir })).toMatchObject({ code: 0, stdout: `Imported 1 todo and 1 project from ${file} (replacing what was here)\n` });
    expect(await list("--all")).toEqual(["Read a book"]);
    expect((await run(["undo"], { dataDir: dir })).stdout).toMatch(/^Undid import /);
    expect((await list("--all")).sort()).toEqual(before);

    writeFileSync(file, JSON.stringify({ ...content, todos: [{ title: 42 }] }));
    const bad = await run(["import", file], { dataDir: dir });
    expect(bad).toMatchObject({ code: 1, stdout: "" });
    expect(bad.stderr).toMatch(/is not a kalphite-todo JSON export \(todos\[0\]\.id: /);
    expect((await list("--all")).sort()).toEqual(before);
  });
});

describe("kalphite-todo: the shell", () => {
  it("watch keeps the last command's confirmation on screen under the live list", async () => {
    const dir = await freshDataDir();
    const { code, stdout } = await run([], { dataDir: dir, input: 'watch\nadd "Seen below the list"\nexit\n' });
    expect(code).toBe(0);
    const draws = stdout.split("── live list").slice(1);
    expect(draws).toHaveLength(2);
    expect(draws[1]).toMatch(/── last command ──\nAdded \w+ {2}Seen below the list/);
  });

  it("asks before destructive bulk commands in a terminal; no deletes without a yes; --yes skips", async () => {
    const dir = await freshDataDir();
    await run([], { dataDir: dir, input: 'add A\nadd B\nexit\n' });
    const ids = json<TodoJson[]>((await run(["list", "--json"], { dataDir: dir })).stdout).map((t) => t.id);
    await run(["done", ...ids], { dataDir: dir });
    // `script` gives the command a terminal; it answers "n".
    const inTerminal = (answer: string) =>
      new Promise<string>((resolve) => {
        const command = `${process.execPath} ${CLI} --data-dir ${dir} clear-done`;
        const child = spawn("script", ["-qec", command, "/dev/null"], { env: { ...process.env, NO_COLOR: "1", KALPHITE_TODO_NOW: NOW } });
        let out = "";
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
          out += chunk;
          if (out.includes("[y/N]") && !out.includes("ANSWERED")) {
            out += "ANSWERED";
            child.stdin.write(`${answer}\n`);
          }
        });
        child.on("close", () => resolve(out));
      });
    const refused = await inTerminal("n");
    expect(refused).toContain("Delete 2 done todos? (undo brings them back) [y/N]");
    expect(refused).toContain("Nothing deleted.");
    expect(json<TodoJson[]>((await run(["list", "--all", "--json"], { dataDir: dir })).stdout)).toHaveLength(2);
    expect(await inTerminal("y")).toContain("Cleared 2 done todos.");
    expect(json<TodoJson[]>((await run(["list", "--all", "--json"], { dataDir: dir })).stdout)).toHaveLength(0);
  });
});

describe("kalphite-todo: robustness", () => {
  it("shows control characters and escape sequences escaped, never raw", async () => {
    const dir = await freshDataDir();
    const nasty = "Pay \x1b[31mred\x1b[0m bill\x07 \u202eevil\x1b]0;pwned\x07";
    expect(await run(["add", nasty], { dataDir: dir })).toMatchObject({ code: 0 });
    for (const args of [["list"], ["list", "--all"], ["stats"]]) {
      const { stdout } = await run(args, { dataDir: dir });
      expect(stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f\u202e]/);
    }
    const { stdout } = await run(["list"], { dataDir: dir, env: { COLUMNS: "200" } });
    expect(stdout).toContain("Pay \\x1b[31mred\\x1b[0m bill\\x07 \\u{202e}evil\\x1b]0;pwned\\x07");
    // JSON keeps the text exactly (escaped by JSON itself).
    const [todo] = json<TodoJson[]>((await run(["list", "--json"], { dataDir: dir })).stdout);
    expect(todo!.title).toBe(nasty);
  });

  it("keeps data private: files 0600, directories 0700, the lock too", async () => {
    const dir = tempDir();
    expect(await run(["add", "Private"], { dataDir: join(dir, "data") })).toMatchObject({ code: 0 });
    const loose: string[] = [];
    const walk = (path: string) => {
      const info = statSync(path);
      if ((info.mode & 0o077) !== 0) loose.push(`${(info.mode & 0o777).toString(8)} ${path}`);
      if (info.isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
    };
    walk(join(dir, "data"));
    expect(loose).toEqual([]);
    // A directory written by an older version is made private on the next open.
    chmodSync(join(dir, "data", "PG_VERSION"), 0o666);
    chmodSync(join(dir, "data"), 0o777);
    expect(await run(["list"], { dataDir: join(dir, "data") })).toMatchObject({ code: 0 });
    walk(join(dir, "data"));
    expect(loose).toEqual([]);
    expect(lockDirOf(join(dir, "data"))).toMatch(/\.data\.kalphite-todo-lock$/);
  });

  it("`list | head -3` exits quietly", async () => {
    const dir = await freshDataDir();
    await run([], { dataDir: dir, input: Array.from({ length: 200 }, (_, i) => `add "Line ${i}"`).join("\n") + "\nexit\n" });
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn("sh", ["-c", `"${process.execPath}" "${CLI}" --data-dir "${dir}" list | head -3`], { env: { ...process.env, NO_COLOR: "1" } });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
      child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
    expect(result.stderr).toBe("");
    expect(result.stdout.split("\n").filter(Boolean)).toHaveLength(3);
    expect(result.code).toBe(0);
  });

  it("a read-only data directory or read-only files get a clear message, and nothing breaks", async () => {
    const dir = await freshDataDir();
    expect(await run(["add", "Kept"], { dataDir: dir })).toMatchObject({ code: 0 });
    const walk = (path: string, mode: (isDir: boolean) => number) => {
      const isDir = statSync(path).isDirectory();
      if (isDir) for (const entry of readdirSync(path)) walk(join(path, entry), mode);
      chmodSync(path, mode(isDir));
    };
    chmodSync(join(dir, "global", "pg_control"), 0o400);
    const file = await run(["list"], { dataDir: dir });
    expect(file).toMatchObject({ code: 1, stdout: "" });
    expect(file.stderr).toMatch(/^kalphite-todo: the data directory .* holds a read-only file \(.*pg_control\); make it writable \(chmod -R u\+w .*\) or choose another one with --data-dir\n$/);
    walk(dir, (isDir) => (isDir ? 0o500 : 0o400));
    const whole = await run(["add", "Refused"], { dataDir: dir });
    expect(whole).toMatchObject({ code: 1, stdout: "" });
    expect(whole.stderr).toMatch(/^kalphite-todo: the data directory .* is read-only; make it writable/);
    walk(dir, (isDir) => (isDir ? 0o700 : 0o600));
    expect(json<TodoJson[]>((await run(["list", "--json"], { dataDir: dir })).stdout).map((t) => t.title)).toEqual(["Kept"]);
  });
});
