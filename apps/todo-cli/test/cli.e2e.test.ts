import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, freshDataDir, plain, run, tempDir } from "./helpers";

interface TodoJson {
  id: string;
  title: string;
  completed: boolean;
  priority: string;
  due?: string | null;
  project?: string | null;
  tags: string[];
  completedAt?: number | null;
}

const json = <T>(stdout: string): T => JSON.parse(stdout) as T;

beforeAll(async () => {
  await ensureBuilt();
});

describe("kalphite-todo: the daily loop", () => {
  let dir: string;
  let milk: TodoJson;
  let taxes: TodoJson;
  let report: TodoJson;
  beforeAll(async () => {
    dir = await freshDataDir();
  });

  it("adds todos with priority, due date, project and tags", async () => {
    const added = await run(["add", "Buy milk", "--priority", "high", "--due", "tomorrow", "--project", "House", "--tag", "errand", "--tag", "#Shop", "--json"], { dataDir: dir });
    expect(added).toMatchObject({ code: 0, stderr: "" });
    milk = json<TodoJson>(added.stdout);
    expect(milk).toMatchObject({ title: "Buy milk", completed: false, priority: "high", due: "2026-01-16", project: "House", tags: ["errand", "shop"] });

    // Unquoted words make the title; the default priority is medium.
    const words = await run(["add", "File", "taxes", "-d", "2026-01-10"], { dataDir: dir });
    expect(words.code).toBe(0);
    expect(words.stdout).toMatch(/^Added [0-9a-z]{4,12}  File taxes {2}\(due 2026-01-10 \(5d ago\)\)\n$/);
  });

  it("lists open todos as an aligned table, across processes", async () => {
    const { code, stdout, stderr } = await run(["list"], { dataDir: dir });
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+PRI\s+DUE\s+PROJECT\s+TAGS\s+TITLE$/);
    const milkRow = lines.find((line) => line.includes("Buy milk"))!;
    const shortId = milkRow.split(" ")[0]!;
    expect(shortId.length).toBeGreaterThanOrEqual(4);
    expect(milk.id.startsWith(shortId)).toBe(true);
    expect(milkRow).toMatch(/\[ \]\s+high\s+2026-01-16 tomorrow\s+House\s+#errand #shop\s+Buy milk$/);
    expect(lines.find((line) => line.includes("File taxes"))).toMatch(/2026-01-10 overdue/);
    // Columns line up: every row's title starts where the header's does.
    const titleAt = lines[0]!.indexOf("TITLE");
    expect(milkRow.indexOf("Buy milk")).toBe(titleAt);
    expect(lines.at(-1)).toBe("2 todos shown · 2 open · 1 overdue · 0 done");
    expect(stdout).not.toMatch(/\x1b\[/); // NO_COLOR
  });

  it("marks a todo done by a unique prefix; list hides it, --all shows it", async () => {
    const done = await run(["done", milk.id.slice(0, 6)], { dataDir: dir });
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/^Done [0-9a-z]{4,}  Buy milk\n$/);

    const open = await run(["list"], { dataDir: dir });
    expect(open.stdout).not.toContain("Buy milk");
    expect(open.stdout).toContain("1 done (hidden; --all shows them)");

    const all = await run(["list", "--all", "--json"], { dataDir: dir });
    const todos = json<TodoJson[]>(all.stdout);
    expect(todos.map((t) => [t.title, t.completed])).toEqual([["File taxes", false], ["Buy milk", true]]);
    expect(todos[1]!.completedAt).toBe(new Date("2026-01-15T10:00:00").getTime());
    taxes = todos[0]!;
  });

  it("undoes, edits, filters and sorts", async () => {
    const undo = await run(["undo", milk.id, "--json"], { dataDir: dir });
    expect(json<TodoJson[]>(undo.stdout)[0]).toMatchObject({ completed: false, completedAt: null });

    const edit = await run(["edit", milk.id.slice(0, 5), "Buy oat milk", "--due", "+1w", "--priority", "low", "--untag", "shop", "--no-project", "--json"], { dataDir: dir });
    expect(edit.code).toBe(0);
    expect(json<TodoJson>(edit.stdout)).toMatchObject({ title: "Buy oat milk", due: "2026-01-22", priority: "low", project: null, tags: ["errand"] });

    const overdue = await run(["list", "--overdue", "--json"], { dataDir: dir });
    expect(json<TodoJson[]>(overdue.stdout).map((t) => t.title)).toEqual(["File taxes"]);

    const byDue = await run(["list", "--sort", "due", "--reverse", "--tag", "errand", "--json"], { dataDir: dir });
    expect(json<TodoJson[]>(byDue.stdout).map((t) => t.title)).toEqual(["Buy oat milk"]);
  });

  it("manages projects and reports stats", async () => {
    expect((await run(["project", "add", "Work"], { dataDir: dir })).stdout).toBe("Created project Work\n");
    const added = await run(["add", "Write report", "-P", "work", "-p", "h", "--json"], { dataDir: dir });
    report = json<TodoJson>(added.stdout);
    expect(report).toMatchObject({ project: "Work", priority: "high" }); // the project's own spelling
    const projects = await run(["project", "list", "--json"], { dataDir: dir });
    expect(json(projects.stdout)).toEqual([
      { id: expect.any(String), name: "House", open: 0, done: 0 },
      { id: expect.any(String), name: "Work", open: 1, done: 0 },
    ]);

    const stats = await run(["stats", "--json"], { dataDir: dir });
    expect(json(stats.stdout)).toMatchObject({ total: 3, open: 3, done: 0, overdue: 1, byPriority: { high: 1, medium: 1, low: 1 }, byProject: { Work: 1, "(none)": 2 } });

    const removed = await run(["project", "rm", "Work"], { dataDir: dir });
    expect(removed.stdout).toBe("Removed project Work (1 todo now without a project)\n");
  });

  it("removes todos and clears done ones", async () => {
    expect((await run(["done", taxes.id], { dataDir: dir })).code).toBe(0);
    const rm = await run(["rm", report.id, "--json"], { dataDir: dir });
    expect(json<TodoJson[]>(rm.stdout).map((t) => t.title)).toEqual(["Write report"]);
    const cleared = await run(["clear-done"], { dataDir: dir });
    expect(cleared.stdout).toBe("Cleared 1 done todo.\n");
    const left = json<TodoJson[]>((await run(["list", "--all", "--json"], { dataDir: dir })).stdout);
    expect(left.map((t) => t.title)).toEqual(["Buy oat milk"]);
  });
});
