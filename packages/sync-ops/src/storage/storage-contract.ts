import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StorageChangeEvent, SyncStorage, SyncStorageTransaction } from "./types";

/** How the contract suite gets a fresh, empty storage (and disposes of it). */
export interface StorageFactory {
  readonly name: string;
  create(): Promise<SyncStorage>;
  /** Another storage on the same database, when the backend can share one (scale-out). */
  createPeer?(): Promise<SyncStorage>;
  dispose?(): Promise<void>;
}

const todo = (id: string, title: string) => ({ id, type: "todo", title });

/**
 * The `SyncStorage` contract, run against every implementation. One storage
 * per suite (PGlite instances are expensive); each test starts from the
 * version the previous one left.
 */
export function runSyncStorageContract(factory: StorageFactory | (() => StorageFactory | undefined)): void {
  const resolved = typeof factory === "function" ? factory() : factory;
  const name = resolved?.name ?? "storage";
  describe.skipIf(resolved === undefined)(`SyncStorage contract: ${name}`, () => {
    const f = resolved as StorageFactory;
    let storage: SyncStorage;
    beforeAll(async () => {
      storage = await f.create();
    });
    afterAll(async () => {
      await storage?.close();
      await f.dispose?.();
    });

    const write = <T>(fn: (tx: SyncStorageTransaction) => Promise<T>) => storage.transaction(fn);

    it("starts empty at version 0 and serves the full state", async () => {
      const state = await storage.readState({});
      expect(state).toMatchObject({ stateVersion: 0, reset: true, entities: [], deleted: [], lastOperationIds: {} });
    });

    it("writes effects, last operation ids and refusals under one new version", async () => {
      const result = await write(async (tx) => {
        expect(tx.baseVersion).toBe(0);
        expect(await tx.lastOperationIds(["c1"])).toEqual(new Map());
        return tx.applyChanges({
          writes: [
            { type: "todo", id: "t1", entity: todo("t1", "milk") },
            { type: "note", id: "n1", entity: { id: "n1", type: "note", body: "x" } },
          ],
          clients: [{ clientId: "c1", lastOperationId: 2 }],
          failures: [{ clientId: "c1", operationId: 2, error: "nope" }],
        });
      });
      expect(result).toEqual({ stateVersion: 1, changed: true });
      const full = await storage.readState({ clientId: "c1" });
      expect(full.stateVersion).toBe(1);
      expect(full.entities).toEqual([{ id: "n1", type: "note", body: "x" }, todo("t1", "milk")]);
      expect(full.lastOperationIds).toEqual({ c1: 2 });
      expect(full.failedOperations).toEqual([{ operationId: 2, error: "nope" }]);
      await write(async (tx) => {
        expect(tx.baseVersion).toBe(1);
        expect(await tx.lastOperationIds(["c1", "c2"])).toEqual(new Map([["c1", 2]]));
        expect(await tx.failures("c1", [1, 2])).toEqual(new Map([[2, "nope"]]));
        expect(await tx.get("todo", "t1")).toEqual(todo("t1", "milk"));
        expect(await tx.get("todo", "zz")).toBeUndefined();
        expect(await tx.getByType("note")).toEqual([{ id: "n1", type: "note", body: "x" }]);
        return tx.applyChanges({ writes: [], clients: [], failures: [] });
      });
      expect((await storage.readState({})).stateVersion).toBe(1);
    });

    it("serves a delta since a version, with typed deletions and the clients that moved", async () => {
      await write((tx) =>
        tx.applyChanges({
          writes: [
            { type: "todo", id: "t2", entity: todo("t2", "eggs") },
            { type: "note", id: "n1", entity: null },
          ],
          clients: [{ clientId: "c2", lastOperationId: 1 }],
          failures: [],
        }),
      );
      const delta = await storage.readState({ sinceVersion: "1" });
      expect(delta).toMatchObject({
        stateVersion: 2,
        reset: false,
        entities: [todo("t2", "eggs")],
        deleted: [{ entityType: "note", entityId: "n1" }],
        lastOperationIds: { c2: 1 },
      });
      const own = await storage.readState({ sinceVersion: "0", clientId: "c1", confirmedOperationId: 1 });
      expect(own.lastOperationIds).toEqual({ c1: 2, c2: 1 });
      expect(own.failedOperations).toEqual([{ operationId: 2, error: "nope" }]);
      const confirmed = await storage.readState({ sinceVersion: "0", clientId: "c1", confirmedOperationId: 2 });
      expect(confirmed.failedOperations).toEqual([]);
      const concurrent = await Promise.all([storage.readState({ sinceVersion: "1" }), storage.readState({ sinceVersion: "1" })]);
      expect(concurrent[0]).toEqual(concurrent[1]);
      concurrent[0].entities.length = 0; // a caller changing its answer changes no one else's
      expect((await storage.readState({ sinceVersion: "1" })).entities).toEqual([todo("t2", "eggs")]);
      const none = await storage.readState({ sinceVersion: "2" });
      expect(none).toMatchObject({ reset: false, entities: [], deleted: [], lastOperationIds: {} });
      const full = await storage.readState({});
      expect(full.entities.map((e) => e.id)).toEqual(["t1", "t2"]);
    });

    it("limits entities and deletions to entityTypes", async () => {
      const notes = await storage.readState({ sinceVersion: "0", entityTypes: ["note"] });
      expect(notes.entities).toEqual([]);
      expect(notes.deleted).toEqual([{ entityType: "note", entityId: "n1" }]);
      const todos = await storage.readState({ entityTypes: ["todo"] });
      expect(todos.entities.map((e) => e.id)).toEqual(["t1", "t2"]);
    });

    it("answers a version it cannot serve (future, malformed) with the full state", async () => {
      for (const sinceVersion of ["999", "abc", "-1", "1.5"]) {
        const state = await storage.readState({ sinceVersion });
        expect(state.reset).toBe(true);
        expect(state.entities.map((e) => e.id)).toEqual(["t1", "t2"]);
      }
    });

    it("rolls back everything when the transaction's callback throws", async () => {
      await expect(
        write(async (tx) => {
          await tx.applyChanges({ writes: [{ type: "todo", id: "t9", entity: todo("t9", "x") }], clients: [{ clientId: "c1", lastOperationId: 9 }], failures: [] });
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      const state = await storage.readState({ clientId: "c1" });
      expect(state.stateVersion).toBe(2);
      expect(state.entities.map((e) => e.id)).toEqual(["t1", "t2"]);
      expect(state.lastOperationIds.c1).toBe(2);
    });

    it("serializes concurrent transactions: each sees the other's commit", async () => {
      const bump = () =>
        write(async (tx) => {
          const last = (await tx.lastOperationIds(["c3"])).get("c3") ?? 0;
          return tx.applyChanges({ writes: [], clients: [{ clientId: "c3", lastOperationId: last + 1 }], failures: [] });
        });
      const results = await Promise.all([bump(), bump(), bump()]);
      expect(results.map((r) => r.stateVersion).sort()).toEqual([3, 4, 5]);
      expect((await storage.readState({ clientId: "c3" })).lastOperationIds.c3).toBe(3);
    });

    it("announces each committed version once through onChange", async () => {
      const heard: StorageChangeEvent[] = [];
      const off = storage.onChange((event) => heard.push(event));
      await write((tx) => tx.applyChanges({ writes: [{ type: "todo", id: "t3", entity: todo("t3", "tea") }], clients: [{ clientId: "c1", lastOperationId: 3 }], failures: [] }));
      await write((tx) => tx.applyChanges({ writes: [], clients: [], failures: [] }));
      off();
      expect(heard).toEqual([{ stateVersion: 6, affectedEntityTypes: ["todo"], clientIds: ["c1"] }]);
    });

    it("stores any Unicode text and nested JSON unchanged", async () => {
      const entity = { id: "u/1 é 😀", type: "todo", title: "Ünïcödé \"quotes\" \\ back\\slash \n 😀 𝄞 \u2028", nested: { list: [1, "two", null, { deep: true }], n: -0.5 } };
      await write((tx) => tx.applyChanges({ writes: [{ type: "todo", id: entity.id, entity }], clients: [], failures: [] }));
      const state = await storage.readState({ sinceVersion: "6" });
      expect(state.entities).toEqual([entity]);
    });

    it("compacts tombstones: a delta from before the compaction becomes a reset", async () => {
      const version = (await storage.readState({})).stateVersion;
      await storage.compact(version);
      expect((await storage.readState({ sinceVersion: "1" })).reset).toBe(true);
      const fromNow = await storage.readState({ sinceVersion: String(version) });
      expect(fromNow.reset).toBe(false);
      await expect(storage.compact(-1)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    });

    it.skipIf(f?.createPeer === undefined)("tells a second storage on the same database about changes (LISTEN/NOTIFY)", async () => {
      const peer = await (f.createPeer as () => Promise<SyncStorage>)();
      try {
        const heard = new Promise<StorageChangeEvent>((resolve) => peer.onChange(resolve));
        const { stateVersion } = await write((tx) =>
          tx.applyChanges({ writes: [{ type: "todo", id: "p1", entity: todo("p1", "peer") }], clients: [{ clientId: "cp", lastOperationId: 1 }], failures: [] }),
        );
        expect(await heard).toEqual({ stateVersion, affectedEntityTypes: ["todo"], clientIds: ["cp"] });
        expect((await peer.readState({ sinceVersion: String(stateVersion - 1) })).entities).toEqual([todo("p1", "peer")]);
      } finally {
        await peer.close();
      }
    });

    it("refuses use after close with CLOSED", async () => {
      const other = await f.create();
      await other.close();
      await expect(other.readState({})).rejects.toMatchObject({ code: "CLOSED" });
      await expect(other.transaction(async () => 1)).rejects.toMatchObject({ code: "CLOSED" });
    });
  });
}
