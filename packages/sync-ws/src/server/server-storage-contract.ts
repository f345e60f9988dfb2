import { describe, expect, it } from "vitest";
import type { EntityVersion } from "../version";
import type { StoredChange, SyncServerStorage } from "./server-storage";

const version = (id: string, title: string, vector: Record<string, number>): EntityVersion => ({
  entityType: "todo",
  entityId: id,
  deleted: false,
  entity: { id, type: "todo", title, updatedAt: 1 },
  vector,
  stamp: { t: 1, r: "c" },
});
const stored = (seq: number, id: string, title: string): StoredChange => ({ seq, messageId: `m${seq}`, userId: "u", clientId: "c", timestamp: seq, version: version(id, title, { c: seq }) });

/**
 * The contract every `SyncServerStorage` keeps, run against each
 * implementation. `storage()` returns an opened storage shared by the suite;
 * each test uses rooms of its own.
 */
export function serverStorageContract(name: string, storage: () => SyncServerStorage): void {
  describe(`SyncServerStorage contract: ${name}`, () => {
    it("an unknown room is empty", async () => {
      expect(await storage().loadRoom("contract-empty")).toMatchObject({ seq: 0, entities: [], messages: [] });
      expect(typeof (await storage().loadRoom("contract-empty")).epoch).toBe("string");
    });

    it("a commit stores the sequence, each entity's latest change, the log and the messageIds", async () => {
      const s = storage();
      const { epoch } = await s.loadRoom("contract-a");
      await s.commit("contract-a", { epoch, seq: 2, changes: [stored(1, "t1", "one"), stored(2, "t1", "two")], messages: [["m1", 1], ["m2", 2]] });
      await s.commit("contract-a", { epoch, seq: 3, changes: [stored(3, "t2", "three")], messages: [["m3", 3], ["stale", 3]] });
      const room = await s.loadRoom("contract-a");
      expect(room.seq).toBe(3);
      expect(room.epoch).toBe(epoch);
      expect(room.entities.map((c) => [c.seq, c.version.entityId, c.version.entity?.title]).sort()).toEqual([
        [2, "t1", "two"],
        [3, "t2", "three"],
      ]);
      expect(new Map(room.messages)).toEqual(new Map([["m1", 1], ["m2", 2], ["m3", 3], ["stale", 3]]));
      expect((await s.readLog("contract-a", 1, 10)).map((c) => c.seq)).toEqual([2, 3]);
      expect((await s.readLog("contract-a", 0, 2)).map((c) => c.seq)).toEqual([1, 2]);
    });

    it("keeps versions exactly (clocks, stamps, field stamps, tombstones, Unicode)", async () => {
      const s = storage();
      const tomb: StoredChange = {
        seq: 1,
        messageId: "m-🙂",
        userId: "ü",
        clientId: "c\u0000x",
        timestamp: 5,
        version: { entityType: "todo", entityId: "🙂", deleted: true, entity: { id: "🙂", type: "todo", title: "\ud83d\ude00 é" }, vector: { "c\u0000x": 4, d: 1 }, stamp: { t: 9.5, r: "c" }, fields: { title: { t: 3, r: "d" } } },
      };
      await s.commit("contract-b", { epoch: "e", seq: 1, changes: [tomb], messages: [["m-🙂", 1]] });
      expect((await s.loadRoom("contract-b")).entities).toEqual([tomb]);
    });

    it("rooms are separate", async () => {
      const s = storage();
      await s.commit("contract-c1", { epoch: "e1", seq: 1, changes: [stored(1, "t1", "c1")], messages: [["x", 1]] });
      await s.commit("contract-c2", { epoch: "e2", seq: 1, changes: [stored(1, "t1", "c2")], messages: [["x", 1]] });
      expect((await s.loadRoom("contract-c1")).entities[0]?.version.entity?.title).toBe("c1");
      expect((await s.loadRoom("contract-c2")).entities[0]?.version.entity?.title).toBe("c2");
    });
  });
}
