import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createCollection } from "../registry";
import { manualMutationFn, staticSync, uniqueId } from "../test-helpers";
import { createPGliteStorage } from "./pglite-storage";
import { recoverySuite } from "./recovery-suite";
import { storageContract } from "./storage-contract";

// One PGlite instance for the file (they cost seconds and hundreds of MB each).
let db: PGlite;
beforeAll(async () => {
  db = await PGlite.create();
});
afterAll(async () => {
  await db?.close();
});

storageContract("PGlite", () => createPGliteStorage({ db }));
recoverySuite("PGlite", async () => createPGliteStorage({ db, table: "tx_reload" }));

describe("createPGliteStorage", () => {
  it("refuses a table name that is not a plain identifier, and a missing db/dataDir", () => {
    expect(() => createPGliteStorage({ db, table: "x; DROP TABLE y" })).toThrow(expect.objectContaining({ code: "INVALID_CONFIG" }));
    expect(() => createPGliteStorage({} as never)).toThrow(/db.*dataDir/);
  });

  it("recovers from a data directory after the database was closed and reopened (a process restart)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kalphite-tx-"));
    try {
      const id = uniqueId("restart");
      const before = manualMutationFn();
      const storage1 = createPGliteStorage({ dataDir: dir });
      const first = createCollection({ sync: staticSync(id, [{ id: "a", n: 1 }]), mutationFn: before.mutationFn, persistence: storage1 });
      await first.ready;
      const tx = first.update("a", { n: 2 });
      await vi.waitFor(() => expect(before.calls).toHaveLength(1));
      await first.dispose();
      await storage1.close?.();

      const after = manualMutationFn();
      const storage2 = createPGliteStorage({ dataDir: dir });
      const second = createCollection({ sync: staticSync(id, [{ id: "a", n: 1 }]), mutationFn: after.mutationFn, persistence: storage2 });
      await second.ready;
      expect(second.data["a"]).toEqual({ id: "a", n: 2 });
      await vi.waitFor(() => expect(after.calls).toHaveLength(1));
      expect(after.calls[0]!.transaction.id).toBe(tx.id);
      after.calls[0]!.resolve();
      expect((await second.whenSettled(tx.id)).state).toBe("completed");
      await second.dispose();
      await storage2.close?.();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
