import { describe, expect, it } from "vitest";
import { createLogger } from "./log";
import { roomSchema } from "./room-storage";
import { DEFAULT_ROOM, routeOf } from "./server";

describe("routeOf", () => {
  it("maps the unprefixed paths to the default room and /rooms/<room>/… to that room", () => {
    expect(routeOf("/sync/operations")).toEqual({ room: DEFAULT_ROOM, path: "/sync/operations" });
    expect(routeOf("/rooms/team/sync/notify")).toEqual({ room: "team", path: "/sync/notify" });
    expect(routeOf("/rooms/a%2Fb%20c/sync/events")).toEqual({ room: "a/b c", path: "/sync/events" });
    expect(routeOf(`/rooms/${encodeURIComponent("équipe 🚀")}/sync/state`)).toEqual({ room: "équipe 🚀", path: "/sync/state" });
  });

  it("leaves other paths alone and refuses bad room names", () => {
    expect(routeOf("/sync/ws")).toBeUndefined();
    expect(routeOf("/rooms/team/sync/ws")).toBeUndefined();
    expect(routeOf("/rooms/team/sync/other")).toBeUndefined();
    expect(routeOf("/rooms//sync/state")).toBeUndefined();
    expect(routeOf("/rooms/%E0%A4%A/sync/state")).toEqual({ error: expect.stringContaining("percent-encoding") });
    expect(routeOf(`/rooms/${"x".repeat(513)}/sync/state`)).toEqual({ error: expect.stringContaining("1 to 512") });
  });
});

describe("roomSchema", () => {
  it("is a safe SQL identifier, distinct per room, stable", () => {
    const names = ["default", "team", "Team", "a\"; DROP SCHEMA public; --", "🚀", "x".repeat(512)];
    const schemas = names.map(roomSchema);
    for (const schema of schemas) expect(schema).toMatch(/^kr_[0-9a-f]{24}$/);
    expect(new Set(schemas).size).toBe(names.length);
    expect(roomSchema("team")).toBe(schemas[1]);
  });
});

describe("createLogger", () => {
  it("writes one line per event, quoting values with spaces and escaping control characters", () => {
    const lines: string[] = [];
    const log = createLogger({ write: (line) => lines.push(line), now: () => new Date(0) });
    log.info("http", { method: "POST", path: "/sync/state", status: 200, skipped: undefined });
    log.warn("refused", { reason: "unknown token", room: "evil\nroom" });
    expect(lines).toEqual([
      "1970-01-01T00:00:00.000Z info http method=POST path=/sync/state status=200\n",
      '1970-01-01T00:00:00.000Z warn refused reason="unknown token" room="evil\\nroom"\n',
    ]);
  });

  it("with quiet, keeps warnings and errors only", () => {
    const lines: string[] = [];
    const log = createLogger({ quiet: true, write: (line) => lines.push(line), now: () => new Date(0) });
    log.info("http");
    log.warn("w");
    log.error("e", { error: new Error("boom") });
    expect(lines).toEqual(["1970-01-01T00:00:00.000Z warn w\n", "1970-01-01T00:00:00.000Z error e error=boom\n"]);
  });
});
