import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MigrationError } from "./errors";
import { FrontendDatabase } from "./frontend-database";
import type { Migration, MigrationContext } from "./migration-types";

// One directory, reopened with different migration lists: reopening a
// directory costs well under a second, creating a database several.
const dir = mkdtempSync(join(tmpdir(), "kalphite-migrations-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const log: string[] = [];
const tableExists = async (db: FrontendDatabase, table: string) =>
  (await db.pglite.query<{ present: boolean }>("SELECT to_regclass($1) IS NOT NULL AS present", [table])).rows[0]!.present;

const m1: Migration = {
  version: 1,
  name: "notes table",
  up: async (db) => {
    log.push("up 1");
    await db.exec("CREATE TABLE notes (id text PRIMARY KEY, body text)");
  },
  down: async (db) => {
    log.push("down 1");
    await db.exec("DROP TABLE notes");
  },
};
const m2: Migration = {
  version: 2,
  up: async (db) => {
    log.push("up 2");
    const { affectedRows } = await db.query("INSERT INTO notes (id, body) VALUES ($1, $2), ($3, $4)", ["n1", "one", "n2", "two"]);
    expect(affectedRows).toBe(2);
  },
  down: async (db) => {
    log.push("down 2");
    await db.exec("DELETE FROM notes");
  },
};
const failing3: Migration = {
  version: 3,
  up: async (db) => {
    log.push("up 3 (failing)");
    await db.exec("CREATE TABLE partial (x int)");
    throw new Error("disk on fire");
  },
};
const m3: Migration = {
  version: 3,
  name: "tags",
  up: async (db) => {
    log.push("up 3");
    await db.exec("ALTER TABLE notes ADD COLUMN tags text[]");
  },
  down: async (db) => {
    log.push("down 3");
    await db.exec("ALTER TABLE notes DROP COLUMN tags");
  },
};

describe("migrations", () => {
  it("creates Kalphite's tables and runs user migrations in version order; a failing one stops at the previous version", async () => {
    const db = new FrontendDatabase({ dbName: dir, migrations: [failing3, m2, m1] });
    const error = await db.init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({ code: "MIGRATION_FAILED", version: 3, direction: "up", message: expect.stringMatching(/Migration 3 failed in up\(\): disk on fire.*stays at version 2/) });
    expect((error as MigrationError).cause).toMatchObject({ message: "disk on fire" });
    expect(log).toEqual(["up 1", "up 2", "up 3 (failing)"]);

    // The failed migration left nothing behind; the database is usable at version 2.
    expect(await db.getMigrationVersion()).toBe(2);
    expect(await tableExists(db, "partial")).toBe(false);
    expect((await db.pglite.query("SELECT id FROM notes ORDER BY id")).rows).toEqual([{ id: "n1" }, { id: "n2" }]);
    const recorded = await db.pglite.query("SELECT scope, version, name FROM kalphite_migrations ORDER BY scope, version");
    expect(recorded.rows).toEqual([
      { scope: "app", version: 1, name: "notes table" },
      { scope: "app", version: 2, name: null },
      { scope: "kalphite", version: 1, name: "kalphite 1" },
      { scope: "kalphite", version: 2, name: "kalphite 2" },
      { scope: "kalphite", version: 3, name: "kalphite 3" },
    ]);
    await db.upsert("todo", "t1", { title: "survives reopening" });
    await db.close();
  });

  it("remembers which versions ran: reopening runs only the pending ones", async () => {
    log.length = 0;
    const db = new FrontendDatabase({ dbName: dir, migrations: [m3, m1, m2] });
    await db.init();
    expect(log).toEqual(["up 3"]);
    expect(await db.getMigrationVersion()).toBe(3);
    expect(await db.getById("todo", "t1")).toEqual({ id: "t1", type: "todo", title: "survives reopening" });
    await db.init(); // again: nothing pending
    expect(log).toEqual(["up 3"]);
    await db.close();
  });

  it("migrates down and up again with migrateTo(version), one step at a time", async () => {
    log.length = 0;
    const db = new FrontendDatabase({ dbName: dir, migrations: [m1, m2, m3] });
    await db.init();
    await db.migrateTo(1);
    expect(log).toEqual(["down 3", "down 2"]);
    expect(await db.getMigrationVersion()).toBe(1);
    expect((await db.pglite.query("SELECT count(*)::int AS n FROM notes")).rows).toEqual([{ n: 0 }]);

    await db.migrateTo(3);
    expect(log).toEqual(["down 3", "down 2", "up 2", "up 3"]);
    expect(await db.getMigrationVersion()).toBe(3);

    await db.migrateTo(0);
    expect(await db.getMigrationVersion()).toBe(0);
    expect(await tableExists(db, "notes")).toBe(false);
    expect(await db.count()).toBe(1); // Kalphite's own tables are not user migrations

    await expect(db.migrateTo(7)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await db.migrateTo(3);
    await db.close();
  });

  it("a failing or missing down() leaves the database at its version", async () => {
    const brokenDown: Migration = { ...m3, down: async () => Promise.reject(new Error("cannot undo")) };
    const db = new FrontendDatabase({ dbName: dir, migrations: [m1, m2, brokenDown] });
    await db.init();
    await expect(db.migrateTo(2)).rejects.toMatchObject({ name: "MigrationError", version: 3, direction: "down", message: expect.stringContaining("cannot undo") });
    expect(await db.getMigrationVersion()).toBe(3);
    await db.close();

    const noDown = new FrontendDatabase({ dbName: dir, migrations: [m1, m2, { version: 3, up: m3.up }] });
    await noDown.init();
    await expect(noDown.migrateTo(0)).rejects.toMatchObject({ version: 3, message: expect.stringContaining("has no down") });
    expect(await noDown.getMigrationVersion()).toBe(3);
    await noDown.close();
  });

  it("with enableMigrations: false, user migrations are not run (migrateTo still works)", async () => {
    log.length = 0;
    const m4: Migration = { version: 4, up: (db) => db.exec("CREATE TABLE four (x int)").then(() => void log.push("up 4")) };
    const db = new FrontendDatabase({ dbName: dir, migrations: [m1, m2, m3, m4], enableMigrations: false });
    await db.init();
    expect(log).toEqual([]);
    expect(await db.getMigrationVersion()).toBe(3);
    await db.upsert("todo", "t2", { title: "Kalphite's tables are there" });
    await db.migrateTo(4);
    expect(log).toEqual(["up 4"]);
    expect(await tableExists(db, "four")).toBe(true);
    await db.close();
  });

  it("gives up()/down() a handle bound to the migration's transaction, closed afterwards", async () => {
    let leaked: MigrationContext | undefined;
    const m5: Migration = {
      version: 5,
      up: async (db) => {
        leaked = db;
        const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM kalphite_entities WHERE type = $1", ["todo"]);
        expect(rows).toEqual([{ n: 2 }]);
      },
    };
    const db = new FrontendDatabase({ dbName: dir, migrations: [m1, m2, m3, m5] });
    await db.init();
    await expect(leaked!.query("SELECT 1")).rejects.toMatchObject({ code: "TRANSACTION_CLOSED" });
    await expect(leaked!.exec("SELECT 1")).rejects.toMatchObject({ code: "TRANSACTION_CLOSED" });
    await db.close();
  });
});
