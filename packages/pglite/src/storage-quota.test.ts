import type { FlushChange } from "@kalphite/flush";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { QuotaExceededError } from "./errors";
import { createFrontendDatabase, type FrontendDatabase } from "./frontend-database";

const MB = 1024 * 1024;
let db: FrontendDatabase;
beforeAll(async () => {
  db = await createFrontendDatabase({ dbName: "memory://quota-test", maxStorageMB: 1 });
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  await db.pglite.exec("DELETE FROM kalphite_entities");
  await db.getStorageUsage(); // re-measure after the raw DELETE
});

const blob = (id: string, bytes: number) => ({ id, type: "blob", data: "x".repeat(bytes) });

describe("maxStorageMB", () => {
  it("refuses a write that would pass the limit with QUOTA_EXCEEDED; nothing is written and reads keep working", async () => {
    await db.upsert("note", "small", { text: "fits" });
    const error = await db.upsert("blob", "big", blob("big", 2 * MB)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect(error).toMatchObject({ name: "QuotaExceededError", code: "QUOTA_EXCEEDED", limitBytes: MB, message: expect.stringContaining("maxStorageMB") });
    expect((error as QuotaExceededError).requestedBytes).toBeGreaterThan(2 * MB);
    expect(await db.getById("blob", "big")).toBeUndefined();
    expect(await db.getAll()).toEqual([{ id: "small", type: "note", text: "fits" }]);
    expect(await db.find("note", { where: { text: "fits" } })).toHaveLength(1);
    expect(await db.count()).toBe(1);
  });

  it("counts data as written (not compressed): filling up stops before the limit", async () => {
    let written = 0;
    let refusal: unknown;
    for (let i = 0; i < 20 && refusal === undefined; i++) {
      await db.upsert("blob", String(i), blob(String(i), 150_000)).then(() => written++, (e: unknown) => (refusal = e));
    }
    expect(refusal).toBeInstanceOf(QuotaExceededError);
    expect(written).toBeGreaterThanOrEqual(5);
    expect(written).toBeLessThanOrEqual(7);
    const usage = await db.getStorageUsage();
    expect(usage.limitBytes).toBe(MB);
    expect(usage.usedBytes).toBeLessThanOrEqual(MB);
    // The running figure the check used matches a fresh measurement (to a few bytes per row).
    expect(Math.abs((refusal as QuotaExceededError).usedBytes - usage.usedBytes)).toBeLessThan(16 * written);
  });

  it("frees space on delete, so writes fit again", async () => {
    await db.upsertMany([blob("a", 400_000), blob("b", 400_000)]);
    await expect(db.upsert("blob", "c", blob("c", 400_000))).rejects.toBeInstanceOf(QuotaExceededError);
    expect(await db.deleteMany("blob", ["a"])).toBe(1);
    await db.upsert("blob", "c", blob("c", 400_000));
    expect((await db.getByType("blob")).map((e) => e.id)).toEqual(["b", "c"]);
  });

  it("refuses an upsertMany or a flush batch over the limit whole", async () => {
    await expect(db.upsertMany([blob("a", 600_000), blob("b", 600_000)])).rejects.toMatchObject({ code: "QUOTA_EXCEEDED" });
    const changes: FlushChange[] = ["a", "b"].map((id) => ({ operation: "upsert", entityType: "blob", entityId: id, entity: blob(id, 600_000), timestamp: 0 }));
    await expect(db.asFlushTarget()(changes)).rejects.toBeInstanceOf(QuotaExceededError);
    expect(await db.count()).toBe(0);
    // Deletes are always allowed, even in a batch at the limit.
    await db.upsert("blob", "a", blob("a", 900_000));
    await db.applyChanges([{ operation: "delete", entityType: "blob", entityId: "a", timestamp: 0 }]);
    expect(await db.count()).toBe(0);
  });

  it("counts a transaction's writes as they happen and forgets them when it rolls back", async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.upsert("blob", "a", blob("a", 600_000));
        await tx.upsert("blob", "b", blob("b", 600_000));
      }),
    ).rejects.toBeInstanceOf(QuotaExceededError);
    expect(await db.count()).toBe(0);
    await db.upsert("blob", "c", blob("c", 900_000)); // the rolled-back 600 KB is not counted
    expect(await db.count()).toBe(1);
  });
});
