import { describe, expect, it } from "vitest";
import * as flush from "@kalphite/flush";
import * as pglite from "@kalphite/pglite";
import * as store from "@kalphite/store";
import * as umbrella from "./index";
import * as flushSubpath from "./flush";
import * as pgliteSubpath from "./pglite";
import * as storeSubpath from "./store";

const layers = [
  ["@kalphite/store", store, storeSubpath],
  ["@kalphite/flush", flush, flushSubpath],
  ["@kalphite/pglite", pglite, pgliteSubpath],
] as const;

describe("kalphite re-exports every layer", () => {
  it.each(layers)("the root exports every value of %s, the same objects", (_name, layer) => {
    for (const [name, value] of Object.entries(layer)) expect((umbrella as Record<string, unknown>)[name], name).toBe(value);
  });

  it.each(layers)("the subpath is exactly %s", (_name, layer, subpath) => {
    expect(Object.keys(subpath).sort()).toEqual(Object.keys(layer).sort());
  });

  it("adds only createKalphite, its error codes and its flush defaults of its own", () => {
    const own = Object.keys(umbrella).filter((name) => !layers.some(([, layer]) => name in layer));
    expect(own.sort()).toEqual(["KalphiteConfigErrorCode", "PGLITE_FLUSH_DEFAULTS", "createKalphite"]);
  });
});
