import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresSyncStorage } from "../storage/postgres-storage";
import { listen, op, post } from "../test-support/http";
import { createTestDatabase, testPostgresUrl } from "../test-support/postgres";
import { createOperationSyncServer, type OperationSyncServer } from "./operation-sync-server";

const adminUrl = testPostgresUrl();

describe.skipIf(adminUrl === undefined)("two servers on one PostgreSQL (scale-out)", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: OperationSyncServer;
  let b: OperationSyncServer;
  const mutators = { increment: async (tx: any, id: string) => tx.upsert("counter", id, { n: ((await tx.get("counter", id))?.n ?? 0) + 1 }) };
  beforeAll(async () => {
    db = await createTestDatabase(adminUrl as string);
    a = await createOperationSyncServer({ mutators, storage: await createPostgresSyncStorage({ connectionString: db.url }) });
    b = await createOperationSyncServer({ mutators, storage: await createPostgresSyncStorage({ connectionString: db.url }) });
  });
  afterAll(async () => {
    for (const s of [a, b]) {
      await s?.close();
      await s?.storage.close();
    }
    await db?.drop();
  });

  it("applies a client's operations exactly once across instances and notifies the other instance's listeners", async () => {
    const listener = await listen(`${a.url.replace("http", "ws")}/sync/notify?clientId=watcher`);
    try {
      const first = await post(`${a.url}/sync/operations`, { operations: [op("pg-c", 1, "increment", "shared")] });
      expect(first.body.confirmations[0].success).toBe(true);
      // The same push resent to the other instance is a duplicate there too; the next id goes on.
      const resent = await post(`${b.url}/sync/operations`, { operations: [op("pg-c", 1, "increment", "shared"), op("pg-c", 2, "increment", "shared")] });
      expect(resent.body.confirmations.map((c: any) => [c.operationId, c.success])).toEqual([
        [1, true],
        [2, true],
      ]);
      const heard = await listener.next("state_changed", (m) => m.payload.stateVersion === "2");
      expect(heard.payload.affectedEntityTypes).toEqual(["counter"]);
      const state = await post(`${a.url}/sync/state`, {});
      expect(state.body.entities).toEqual([{ id: "shared", type: "counter", n: 2 }]);
      // Concurrent pushes of one client to both instances still apply each id once.
      const ops = [3, 4, 5].map((id) => op("pg-c", id, "increment", "shared"));
      await Promise.all([post(`${a.url}/sync/operations`, { operations: ops }), post(`${b.url}/sync/operations`, { operations: ops })]);
      expect((await post(`${b.url}/sync/state`, {})).body.entities).toEqual([{ id: "shared", type: "counter", n: 5 }]);
    } finally {
      await listener.close();
    }
  });
});
