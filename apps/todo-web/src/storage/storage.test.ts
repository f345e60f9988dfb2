import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { KalphiteStore } from "@kalphite/store";
import type { PendingOperation } from "@kalphite/sync-ops";
import { EntitySchema } from "@kalphite/todo-model";
import { openAppDatabase } from "./idb";
import { persistSnapshot, readSnapshot } from "./entity-snapshot";
import { createIndexedDBOperationStorage } from "./operation-storage";

let n = 0;
const freshDb = () => openAppDatabase(`test-${++n}`);
const op = (id: number, name = "addTodo"): PendingOperation => ({ id, name, args: [{ id: `t${id}`, title: "x 🚀", now: 1 }], clientId: "c1", timestamp: 1 });

describe("IndexedDB operation storage", () => {
  it("keeps operations per client across reopening, in id order, with the last id and values", async () => {
    const name = `test-${++n}`;
    const first = createIndexedDBOperationStorage(await openAppDatabase(name));
    expect(await first.load("c1")).toEqual({ operations: [], lastOperationId: 0, values: {} });
    await first.append("c1", [op(2), op(1)]);
    await first.append("c2", [op(7)]);
    await first.setValue("c1", "stateVersion", "12");
    await first.setValue("c1", "other", "x");
    await first.close();

    const reopened = createIndexedDBOperationStorage(await openAppDatabase(name));
    expect(await reopened.load("c1")).toEqual({ operations: [op(1), op(2)], lastOperationId: 2, values: { stateVersion: "12", other: "x" } });
    await reopened.remove("c1", [1]);
    expect((await reopened.load("c1")).operations).toEqual([op(2)]);
    expect((await reopened.load("c1")).lastOperationId).toBe(2); // ids continue after removed ones
    await reopened.replace("c1", [op(5), op(6)], 6);
    expect(await reopened.load("c1")).toMatchObject({ operations: [op(5), op(6)], lastOperationId: 6 });
    expect((await reopened.load("c2")).operations).toEqual([op(7)]);
    await reopened.close();
  });

  it("leaves out the values named in forgetOnLoad (the app's state version) but still writes them", async () => {
    const db = await freshDb();
    const storage = createIndexedDBOperationStorage(db, { forgetOnLoad: ["stateVersion"] });
    await storage.setValue("c1", "stateVersion", "9");
    await storage.setValue("c1", "kept", "1");
    expect((await storage.load("c1")).values).toEqual({ kept: "1" });
    expect((await createIndexedDBOperationStorage(db).load("c1")).values).toEqual({ stateVersion: "9", kept: "1" });
  });

  it("tells when operations were written", async () => {
    let told = 0;
    const storage = createIndexedDBOperationStorage(await freshDb(), { onOperationsWritten: () => told++ });
    await storage.append("c1", [op(1)]);
    await storage.remove("c1", [1]);
    await storage.replace("c1", [], 1);
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(told).toBe(3);
  });
});

describe("entity snapshot", () => {
  it("writes every store batch (local and remote), not loads, and reads them back", async () => {
    const db = await freshDb();
    const store = KalphiteStore(EntitySchema);
    const errors: unknown[] = [];
    const snapshot = persistSnapshot(db, store, (e) => errors.push(e));
    const todo = (id: string, title: string) => ({ id, type: "todo" as const, title, completed: false, priority: "medium" as const, tags: [], createdAt: 1, updatedAt: 1 });
    store.loadEntities([todo("loaded", "from storage")]);
    store.todo.upsert("a", todo("a", "local"));
    store.applyRemote([{ operation: "upsert", entityType: "todo", entityId: "b", entity: todo("b", "remote ✨") }]);
    store.todo.upsert("c", todo("c", "gone soon"));
    store.todo.delete("c");
    await snapshot.flushed();
    const stored = await readSnapshot(db);
    expect(stored.map((e) => e.id).sort()).toEqual(["a", "b"]);
    expect(stored.find((e) => e.id === "b")).toMatchObject({ title: "remote ✨" });
    expect(errors).toEqual([]);

    // What a new page loads: the same entities.
    const next = KalphiteStore(EntitySchema);
    next.loadEntities(stored as never[]);
    expect(next.todo.map((t) => t.title).sort()).toEqual(["local", "remote ✨"]);
    snapshot.stop();
    store.todo.upsert("d", todo("d", "after stop"));
    await snapshot.flushed();
    expect((await readSnapshot(db)).map((e) => e.id).sort()).toEqual(["a", "b"]);
  });
});
