import { NonRetriableError, type FlushChange } from "@kalphite/flush";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { QuotaExceededError } from "./errors";
import { createFrontendDatabase, type FrontendDatabase } from "./frontend-database";
import { batchContext, deleteChange, upsertChange } from "./test-fixtures/changes";

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

  it("refuses an upsertMany or a flush batch over the limit whole; the target reports it as a NonRetriableError (cause QUOTA_EXCEEDED)", async () => {
    await expect(db.upsertMany([blob("a", 600_000), blob("b", 600_000)])).rejects.toMatchObject({ code: "QUOTA_EXCEEDED" });
    const changes: FlushChange[] = ["a", "b"].map((id) => upsertChange(blob(id, 600_000)));
    const error = await db.asFlushTarget()(changes, batchContext({ cursor: 1 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonRetriableError);
    expect((error as NonRetriableError).cause).toBeInstanceOf(QuotaExceededError);
    expect(await db.count()).toBe(0);
    expect(await db.getMeta("cursor")).toBeUndefined();
    // Deletes are always allowed, even in a batch at the limit.
    await db.upsert("blob", "a", blob("a", 900_000));
    await db.applyChanges([deleteChange("blob", "a")]);
    expect(await db.count()).toBe(0);
  });

  it("counts net growth: at the limit, rewriting an entity at the same size or smaller passes", async () => {
    await db.upsert("blob", "a", blob("a", 1000));
    await db.upsert("blob", "big", blob("big", MB - 1200));
    for (let i = 0; i < 3; i++) await db.upsert("blob", "a", { ...blob("a", 1000), data: String(i).repeat(1000) });
    await db.upsert("blob", "a", blob("a", 10));
    await db.asFlushTarget()([upsertChange(blob("big", MB - 1300))], batchContext());
    await expect(db.upsert("blob", "a", blob("a", 5000))).rejects.toBeInstanceOf(QuotaExceededError);
    expect((await db.getById<{ data: string } & { id: string; type: string }>("blob", "a"))?.data).toHaveLength(10);
  });

  it("passes a batch whose deletes free at least what its upserts add, even past the limit; refuses a growing one whole, deletes included", async () => {
    await db.upsertMany([blob("old", 500_000), blob("keep", 400_000)]);
    // Frees 500 KB, adds 450 KB: net growth < 0 passes although 0.9 MB + 450 KB > 1 MB.
    await db.asFlushTarget()([deleteChange("blob", "old"), upsertChange(blob("new", 450_000))], batchContext());
    expect((await db.getByType("blob")).map((e) => e.id)).toEqual(["keep", "new"]);
    // Frees 450 KB, adds 700 KB: refused whole, the delete with it (the batch is atomic).
    const error = await db.asFlushTarget()([deleteChange("blob", "new"), upsertChange(blob("huge", 700_000))], batchContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonRetriableError);
    expect((error as NonRetriableError).cause).toMatchObject({ code: "QUOTA_EXCEEDED", limitBytes: MB });
    expect((error as { cause: QuotaExceededError }).cause.requestedBytes).toBeGreaterThan(240_000);
    expect((error as { cause: QuotaExceededError }).cause.requestedBytes).toBeLessThan(260_000);
    expect((await db.getByType("blob")).map((e) => e.id)).toEqual(["keep", "new"]);
  });

  it("lets deletes and shrinking writes through when the data is already past the limit (a raw write or a lowered limit)", async () => {
    await db.pglite.query("INSERT INTO kalphite_entities (type, id, data) VALUES ('blob', 'raw', $1::jsonb)", [JSON.stringify(blob("raw", 1_200_000))]);
    await db.getStorageUsage();
    await expect(db.upsert("blob", "tiny", { id: "tiny", type: "blob" })).rejects.toBeInstanceOf(QuotaExceededError);
    await db.upsert("blob", "raw", blob("raw", 1_100_000)); // shrinks: passes
    await db.asFlushTarget()([deleteChange("blob", "raw"), upsertChange({ id: "tiny", type: "blob" })], batchContext());
    expect((await db.getAll()).map((e) => e.id)).toEqual(["tiny"]);
  });

  it("counts a transaction's writes as they happen and forgets them when it rolls back", async () => {
    await db.transaction(async (tx) => {
      await tx.upsert("blob", "a", blob("a", 600_000));
      await tx.upsert("blob", "a", blob("a", 600_000)); // the same size again: no growth
      await tx.delete("blob", "a");
      await tx.upsert("blob", "b", blob("b", 900_000));
    });
    expect((await db.getAll()).map((e) => e.id)).toEqual(["b"]);
    await db.delete("blob", "b");
    await expect(
      db.transaction(async (tx) => {
        await tx.upsert("blob", "a", blob("a", 600_000));
        await tx.upsert("blob", "b", blob("b", 600_000));
      }),
    ).rejects.toBeInstanceOf(QuotaExceededError);
    expect(await db.count()).toBe(0);
    // A refused write inside a transaction leaves it usable: catch it and carry on.
    await db.transaction(async (tx) => {
      await expect(tx.upsert("blob", "big", blob("big", 2 * MB))).rejects.toBeInstanceOf(QuotaExceededError);
      await tx.upsert("blob", "small", blob("small", 100));
    });
    expect((await db.getAll()).map((e) => e.id)).toEqual(["small"]);
    await db.delete("blob", "small");
    await db.upsert("blob", "c", blob("c", 900_000)); // the rolled-back 600 KB is not counted
    expect(await db.count()).toBe(1);
  });
});
