import { describe, expect, it } from "vitest";
import { readConfig } from "./config";
import { TodoWebError } from "./errors";

const at = (href: string) => {
  const url = new URL(href);
  return { search: url.search, origin: url.origin } as Location;
};

describe("readConfig", () => {
  it("takes the server, token, database and user from the query first, then the injected config, then defaults", () => {
    expect(readConfig(at("http://app.test/?server=http://127.0.0.1:9000/&token=t&db=mine&user=ada"), { server: "http://other" })).toEqual({
      server: "http://127.0.0.1:9000",
      token: "t",
      dbName: "mine",
      userId: "ada",
    });
    expect(readConfig(at("http://app.test/"), { server: "https://sync.example/rooms/team", token: "x" })).toEqual({
      server: "https://sync.example/rooms/team",
      token: "x",
      dbName: "kalphite-todo",
      userId: "web",
    });
    expect(readConfig(at("http://127.0.0.1:5173/")).server).toBe("http://127.0.0.1:5173");
  });

  it("refuses a server that is not an http(s) URL, naming it", () => {
    expect(() => readConfig(at("http://app.test/?server=not a url"))).toThrow(TodoWebError);
    expect(() => readConfig(at("http://app.test/?server=not a url"))).toThrow(/"not a url" is not a URL/);
    expect(() => readConfig(at("http://app.test/?server=ftp://x"))).toThrow(expect.objectContaining({ code: "INVALID_CONFIG" }));
  });
});
