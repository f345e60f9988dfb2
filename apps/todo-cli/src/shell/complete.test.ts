import { createKalphiteStore } from "kalphite/store";
import { describe, expect, it } from "vitest";
import { createProgram } from "../program";
import type { TodoStore } from "../projects";
import type { Runtime } from "../runtime";
import { EntitySchema } from "../schema";
import { complete } from "./complete";

const runtime = { env: {}, now: () => new Date(), write: () => {}, stdoutIsTTY: false, columns: () => 80, cwd: "/", interactive: false, confirm: async () => false, open: async () => { throw new Error("unused"); } } as unknown as Runtime;

function store(): TodoStore {
  const s = createKalphiteStore(EntitySchema) as unknown as TodoStore;
  const todo = (id: string, project: string | null, tags: string[]) =>
    s.todo.upsert(id, { id, type: "todo", title: id, completed: false, priority: "medium", due: null, project, tags, createdAt: 1, updatedAt: 1, completedAt: null });
  todo("k3f9aaaaaaaa", "Home Stuff", ["errand"]);
  todo("k3g1bbbbbbbb", null, ["phone", "errand"]);
  s.project.upsert("p1", { id: "p1", type: "project", name: "Work", createdAt: 1, updatedAt: 1 });
  return s;
}

describe("shell tab completion", () => {
  const program = createProgram(runtime);
  const s = store();
  it("completes commands, ids, projects, tags and options", () => {
    expect(complete("li", s, program)).toEqual([["list"], "li"]);
    expect(complete("e", s, program)[0]).toEqual(expect.arrayContaining(["edit", "exit", "export"]));
    expect(complete("done k3", s, program)).toEqual([["k3f9", "k3g1"], "k3"]);
    expect(complete("add x -P ", s, program)[0].sort()).toEqual(['"Home Stuff"', "Work"]);
    expect(complete("list --tag ph", s, program)).toEqual([["phone"], "ph"]);
    expect(complete("list --due-b", s, program)).toEqual([["--due-before"], "--due-b"]);
    expect(complete("stats x", s, program)).toEqual([[], "x"]);
  });
});
