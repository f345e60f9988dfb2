import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ServerError } from "./errors";
import { createAccessControl, readTokensFile } from "./tokens";

const dir = mkdtempSync(join(tmpdir(), "kalphite-tokens-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe("tokens file", () => {
  it("grants each token its rooms and user; * is every room", () => {
    const grants = readTokensFile(file("ok.json", JSON.stringify({ a: { user: "ada", rooms: ["team"] }, all: { rooms: ["*", "x"] } })));
    const access = createAccessControl(undefined, grants);
    expect(access.enabled).toBe(true);
    expect(access.check("a", "team", "ada")).toEqual({ ok: true, user: "ada" });
    expect(access.check("a", "team")).toEqual({ ok: true, user: "ada" });
    expect(access.check("a", "other", "ada")).toMatchObject({ ok: false, reason: expect.stringContaining("room") });
    expect(access.check("a", "team", "bob")).toMatchObject({ ok: false, reason: expect.stringContaining("user") });
    expect(access.check("all", "anything", "bob")).toEqual({ ok: true, user: "bob" });
    expect(access.check("nope", "team")).toEqual({ ok: false, reason: "unknown token" });
    expect(access.check(undefined, "team")).toEqual({ ok: false, reason: "missing token" });
    expect(access.check("", "team")).toEqual({ ok: false, reason: "missing token" });
  });

  it("--token is valid everywhere, alongside the file; no token at all lets everyone in", () => {
    const access = createAccessControl("secret", readTokensFile(file("one.json", JSON.stringify({ a: { rooms: ["team"] } }))));
    expect(access.check("secret", "any-room", "anyone").ok).toBe(true);
    expect(access.check("a", "team").ok).toBe(true);
    const open = createAccessControl(undefined);
    expect(open.enabled).toBe(false);
    expect(open.check(undefined, "team").ok).toBe(true);
  });

  it.each([
    ["missing.json", undefined, /ENOENT/],
    ["not-json.json", "{", /JSON/],
    ["array.json", "[]", /expected/],
    ["no-rooms.json", JSON.stringify({ t: { user: "ada" } }), /at t\.rooms/],
    ["empty-rooms.json", JSON.stringify({ t: { rooms: [] } }), /at t\.rooms: list at least one room/],
    ["extra-key.json", JSON.stringify({ t: { rooms: ["a"], admin: true } }), /at t/],
    ["empty-user.json", JSON.stringify({ t: { rooms: ["a"], user: "" } }), /at t\.user/],
  ])("refuses %s with INVALID_TOKENS_FILE naming the path", (name, text, message) => {
    const path = text === undefined ? join(dir, name) : file(name, text);
    let error: unknown;
    try {
      readTokensFile(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ code: "INVALID_TOKENS_FILE" });
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toMatch(message);
  });
});
