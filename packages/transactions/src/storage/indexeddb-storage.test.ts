import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { createCollection } from "../registry";
import { staticSync, uniqueId } from "../test-helpers";
import { createIndexedDBStorage } from "./indexeddb-storage";
import { recoverySuite } from "./recovery-suite";
import { storageContract } from "./storage-contract";

const dbName = `kalphite-test-${Math.random().toString(36).slice(2)}`;

storageContract("IndexedDB (fake-indexeddb)", () => createIndexedDBStorage({ dbName }));
recoverySuite("IndexedDB (fake-indexeddb)", async () => createIndexedDBStorage({ dbName }));

describe("IndexedDB as the default", () => {
  it("is used when no persistence is given", async () => {
    const id = uniqueId("default");
    const a = createCollection<{ id: string; v?: number }>({ sync: staticSync(id, [{ id: "x" }]), mutationFn: { persist: () => new Promise(() => {}) } });
    await a.ready;
    const tx = a.update("x", { v: 1 });
    await a.dispose();
    const stored = await createIndexedDBStorage().load(id);
    expect(stored.map((r) => r.id)).toEqual([tx.id]);
    expect(stored[0]?.transaction.mutations[0]?.changes).toEqual({ v: 1 });
  });
});
