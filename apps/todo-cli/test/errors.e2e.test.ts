import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, freshDataDir, plain, run } from "./helpers";

interface TodoJson {
  id: string;
  title: string;
}

let dir: string;
let before: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = await freshDataDir();
  // Enough todos that two ids must share a first character (33 > 32 letters).
  const adds = Array.from({ length: 32 }, (_, i) => `add "Task ${i + 2}"`).join("\n");
  const first = 'add "Task 1, with a title long enough to be cut" --tag home --project House --due 2026-01-20';
  const shell = await run([], { dataDir: dir, input: `${first}\n${adds}\nexit\n` });
  expect(shell.code).toBe(0);
  before = (await run(["list", "--all", "--json"], { dataDir: dir })).stdout;
});

/** Each case: one line on stderr naming the problem, exit code 1, nothing on stdout. */
const cases: [string, string[], RegExp][] = [
  ["an empty title", ["add", ""], /^kalphite-todo: the title must not be empty$/],
  ["a blank title", ["add", "   "], /^kalphite-todo: the title must not be empty$/],
  ["a missing title", ["add"], /^kalphite-todo: missing required argument 'title'$/],
  ["an unknown flag", ["add", "Milk", "--bogus"], /^kalphite-todo: unknown option '--bogus'/],
  ["an unknown command", ["frobnicate"], /^kalphite-todo: unknown command 'frobnicate'/],
  ["a bad date", ["add", "Milk", "--due", "whenever"], /^kalphite-todo: .*invalid due date "whenever": use YYYY-MM-DD, today, tomorrow, \+Nd, \+Nw, or words like fri, next monday, in 3 days, end of month$/],
  ["an ambiguous date", ["add", "Milk", "--due", "03/04"], /^kalphite-todo: ambiguous due date "03\/04": day 3 of month 4, or month 3 day 4\? write it as 2026-04-03 or 2026-03-04$/],
  ["a title over 500 characters", ["add", "x".repeat(501)], /^kalphite-todo: the title is 501 characters long; the limit is 500 \(put details in a note/],
  ["a 100 kB title (the most one argument can hold)", ["add", "y".repeat(100_000)], /^kalphite-todo: the title is 100,000 characters long; the limit is 500/],
  ["a mistyped command", ["lsit"], /^kalphite-todo: unknown command 'lsit' — did you mean 'list'\?/],
  ["a bad recurrence", ["add", "Milk", "--every", "fortnight"], /^kalphite-todo: option '-e, --every <interval>' argument 'fortnight' is invalid\. repeat with day, week, month, weekday or Nd/],
  ["an impossible date", ["add", "Milk", "--due", "2026-02-30"], /invalid due date "2026-02-30"/],
  ["a bad priority", ["add", "Milk", "-p", "urgent"], /^kalphite-todo: option '-p, --priority <level>' argument 'urgent' is invalid\. priority must be low, medium, high$/],
  ["a bad sort key", ["list", "--sort", "colour"], /^kalphite-todo: option '--sort <key>' argument 'colour' is invalid\. Allowed choices are priority, due, created\.$/],
  ["an unknown id", ["done", "zzzzzzzz"], /^kalphite-todo: no todo with id "zzzzzzzz"$/],
  ["an unknown project filter", ["list", "--project", "Nowhere"], /^kalphite-todo: no project "Nowhere"/],
  ["nothing to edit", ["edit", "zzzz"], /^kalphite-todo: nothing to change/],
  ["a missing import file", ["import", "/nonexistent/backup.tar.gz"], /^kalphite-todo: cannot read \/nonexistent\/backup\.tar\.gz: ENOENT/],
];

describe("kalphite-todo: bad input", () => {
  it.each(cases)("%s is a one-line error with exit code 1", async (_name, args, message) => {
    const { code, stdout, stderr } = await run(args, { dataDir: dir });
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(stderr.trimEnd()).toMatch(message);
  });

  it("an ambiguous id prefix names the candidates and exits 1", async () => {
    const todos = JSON.parse(before) as TodoJson[];
    const firsts = todos.map((t) => t.id[0]!);
    const shared = firsts.find((c, i) => firsts.indexOf(c) !== i)!;
    const { code, stdout, stderr } = await run(["done", shared], { dataDir: dir });
    expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
    expect(stderr).toMatch(new RegExp(`^kalphite-todo: id "${shared}" is ambiguous: it matches ${shared}\\w+, ${shared}\\w+.*; type more characters\\n$`));
  });

  it("none of the failed commands wrote anything", async () => {
    expect((await run(["list", "--all", "--json"], { dataDir: dir })).stdout).toBe(before);
  });

  it("--help and --version exit 0", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    for (const command of ["add", "list", "done", "undo", "edit", "rm", "clear-done", "project", "stats", "export", "import"]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    }
    const version = await run(["--version"]);
    expect(version).toMatchObject({ code: 0, stdout: "0.1.0\n" });
  });

  it("fits narrow terminals and colours only when asked", async () => {
    const { stdout } = await run(["list", "--all"], { dataDir: dir, env: { NO_COLOR: undefined, FORCE_COLOR: "1", COLUMNS: "40" } });
    expect(stdout).toMatch(/\x1b\[/);
    const lines = plain(stdout).trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+DUE\s+TITLE$/); // TAGS, PROJECT and PRI dropped, in that order
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(40);
    expect(lines[1]).toMatch(/^\w{4,}\s+\[ \]\s+2026-01-20\s+Task 1, with a t…$/);
  });

  it("takes the data directory from KALPHITE_TODO_DIR", async () => {
    const { code, stdout } = await run(["stats", "--json"], { env: { KALPHITE_TODO_DIR: dir } });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ total: 33, open: 33 });
  });
});
