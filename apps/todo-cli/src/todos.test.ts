import { describe, expect, it } from "vitest";
import { computeStats } from "./commands/stats";
import type { Todo } from "./schema";
import { DEFAULT_QUERY, cleanTags, cleanTitle, isOverdue, parsePriority, selectTodos, type TodoQuery } from "./todos";

const TODAY = "2026-01-15";
let clock = 0;
const todo = (title: string, fields: Partial<Todo> = {}): Todo => ({
  id: title.toLowerCase().replace(/\W/g, ""),
  type: "todo",
  title,
  completed: false,
  priority: "medium",
  due: null,
  project: null,
  tags: [],
  createdAt: ++clock,
  updatedAt: clock,
  completedAt: null,
  ...fields,
});

const todos = [
  todo("Old low", { priority: "low", due: "2026-01-20" }),
  todo("Overdue", { due: "2026-01-10", project: "Home", tags: ["errand"] }),
  todo("Done high", { priority: "high", completed: true, completedAt: 100 }),
  todo("High undated", { priority: "high", tags: ["errand", "work"] }),
  todo("Due today", { due: TODAY, project: "Home" }),
];
const titles = (query: Partial<TodoQuery>) => selectTodos(todos, { ...DEFAULT_QUERY, ...query }, TODAY).map((t) => t.title);

describe("selectTodos", () => {
  it("shows open todos, oldest first, by default", () => {
    expect(titles({})).toEqual(["Old low", "Overdue", "High undated", "Due today"]);
  });

  it("sorts by priority (then due date) and by due date (undated last), done after open", () => {
    expect(titles({ sort: "priority", status: "all" })).toEqual(["High undated", "Overdue", "Due today", "Old low", "Done high"]);
    expect(titles({ sort: "due" })).toEqual(["Overdue", "Due today", "Old low", "High undated"]);
    expect(titles({ sort: "due", reverse: true })).toEqual(["High undated", "Old low", "Due today", "Overdue"]);
  });

  it("filters by status, project (any case), every tag, overdue and priority", () => {
    expect(titles({ status: "done" })).toEqual(["Done high"]);
    expect(titles({ project: "hOME" })).toEqual(["Overdue", "Due today"]);
    expect(titles({ tags: ["errand", "work"] })).toEqual(["High undated"]);
    expect(titles({ overdue: true })).toEqual(["Overdue"]);
    expect(titles({ priority: "high", status: "all" })).toEqual(["High undated", "Done high"]);
  });

  it("never calls a done todo overdue", () => {
    expect(isOverdue(todo("x", { due: "2020-01-01", completed: true }), TODAY)).toBe(false);
  });
});

describe("input cleaning", () => {
  it("collapses whitespace in titles and refuses empty ones", () => {
    expect(cleanTitle(["  Buy ", "milk\n"])).toBe("Buy milk");
    expect(() => cleanTitle(" \t ")).toThrow("the title must not be empty");
  });

  it("normalises tags: lower case, no #, comma lists, no duplicates", () => {
    expect(cleanTags(["#Home", "errand,home", " Work "])).toEqual(["home", "errand", "work"]);
    expect(() => cleanTags(["two words"])).toThrow('invalid tag "two words"');
    expect(() => cleanTags([","])).toThrow('invalid tag ""');
  });

  it("reads priorities and their initials", () => {
    expect(["low", "M", "med", "h", "HIGH"].map(parsePriority)).toEqual(["low", "medium", "medium", "high", "high"]);
    expect(() => parsePriority("urgent")).toThrow("priority must be low, medium, high");
  });
});

describe("computeStats", () => {
  it("counts open, done, overdue and due soon; breaks open todos down", () => {
    expect(computeStats(todos, TODAY, 150)).toEqual({
      total: 5,
      open: 4,
      done: 1,
      overdue: 1,
      dueToday: 1,
      dueThisWeek: 2,
      doneThisWeek: 1,
      completionRate: 0.2,
      byPriority: { low: 1, medium: 2, high: 1 },
      byProject: { "(none)": 2, Home: 2 },
      byTag: { errand: 2, work: 1 },
    });
  });
});
