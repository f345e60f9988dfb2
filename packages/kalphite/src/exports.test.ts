import { describe, expect, it } from "vitest";
import * as flush from "@kalphite/flush";
import * as pglite from "@kalphite/pglite";
import * as store from "@kalphite/store";
import * as syncWs from "@kalphite/sync-ws";
import * as syncOps from "@kalphite/sync-ops";
import * as transactions from "@kalphite/transactions";
import * as coordinator from "@kalphite/coordinator";
import * as syncWsSubpath from "./sync-ws";
import * as syncOpsSubpath from "./sync-ops";
import * as transactionsSubpath from "./transactions";
import * as coordinatorSubpath from "./coordinator";
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

  it.each([
    ["@kalphite/sync-ws", syncWs, syncWsSubpath],
    ["@kalphite/sync-ops", syncOps, syncOpsSubpath],
    ["@kalphite/transactions", transactions, transactionsSubpath],
    ["@kalphite/coordinator", coordinator, coordinatorSubpath],
  ] as const)("the sync subpath is exactly %s", (_name, layer, subpath) => {
    expect(Object.keys(subpath).sort()).toEqual(Object.keys(layer).sort());
    for (const [name, value] of Object.entries(layer)) expect((subpath as Record<string, unknown>)[name], name).toBe(value);
  });

  it("the root adds the sync engines (the same objects) and nothing else of layers 4–7", () => {
    expect(umbrella.ModernSyncEngine).toBe(syncOps.ModernSyncEngine);
    expect(umbrella.NetworkSyncEngine).toBe(syncWs.NetworkSyncEngine);
    expect(umbrella.bindStore).toBe(syncWs.bindStore);
    expect(umbrella.createOptimisticClient).toBe(coordinator.createOptimisticClient);
  });

  it("adds only createKalphite, its error codes, its defaults and the sync engines of its own", () => {
    const own = Object.keys(umbrella).filter((name) => !layers.some(([, layer]) => name in layer));
    expect(own.sort()).toEqual(["KALPHITE_SYNC_DEFAULTS", "KalphiteConfigErrorCode", "ModernSyncEngine", "NetworkSyncEngine", "PGLITE_FLUSH_DEFAULTS", "bindStore", "createKalphite", "createOptimisticClient"]);
  });
});
