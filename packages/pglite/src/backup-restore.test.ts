import { PGlite } from "@electric-sql/pglite";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restoreArchive } from "./database-restore";
import { readBackupArchive } from "./backup-archive";
import { FrontendDatabase, createFrontendDatabase } from "./frontend-database";
import type { Migration } from "./migration-types";

const notesTable: Migration = { version: 1, up: (db) => db.exec("CREATE TABLE notes (id text PRIMARY KEY, body text)") };
const notesTags: Migration = { version: 2, up: (db) => db.exec("ALTER TABLE notes ADD COLUMN tags text") };

const parent = mkdtempSync(join(tmpdir(), "kalphite-backup-"));
let source: FrontendDatabase;
let target: FrontendDatabase;
let backup: Blob;

const sourceEntities = [
  { id: "1", type: "todo", title: "from the backup", done: false, nested: { list: [1, "two", null] } },
  { id: "2", type: "todo", title: "🎉 unicode", done: true },
  { id: "p", type: "project", name: "P" },
];

beforeAll(async () => {
  source = await createFrontendDatabase({ dbName: "memory://backup-source", migrations: [notesTable] });
  await source.upsertMany(sourceEntities);
  await source.pglite.query("INSERT INTO notes VALUES ('n1', 'a table of the app')");
  target = await createFrontendDatabase({ dbName: "memory://backup-target", migrations: [notesTable, notesTags] });
  backup = await source.backup();
});
afterAll(async () => {
  await source?.close();
  await target?.close();
  rmSync(parent, { recursive: true, force: true });
});

const snapshot = async (db: FrontendDatabase) => ({ entities: await db.getAll(), count: await db.count() });

describe("backup()", () => {
  it("returns the whole database as a gzipped tarball Blob", () => {
    expect(backup).toBeInstanceOf(Blob);
    expect(backup.size).toBeGreaterThan(1000);
  });

  it("is refused with BACKUP_DISABLED only when enableBackup is explicitly false", async () => {
    const disabled = new FrontendDatabase({ dbName: "memory://no-backups", enableBackup: false });
    await expect(disabled.backup()).rejects.toMatchObject({ code: "BACKUP_DISABLED" });
    await expect(disabled.restore(backup)).rejects.toMatchObject({ code: "BACKUP_DISABLED" });
    await disabled.close();
  });
});

describe("restore() refuses what is not a Kalphite backup and leaves the database as it was", () => {
  let before: Awaited<ReturnType<typeof snapshot>>;
  beforeAll(async () => {
    await target.upsertMany([{ id: "mine", type: "todo", title: "target's own" }]);
    before = await snapshot(target);
  });

  const tar = (files: Record<string, string>) => {
    // A minimal ustar writer, to build archives that are tarballs but not databases.
    const blocks: Uint8Array[] = [];
    for (const [name, content] of Object.entries(files)) {
      const header = new Uint8Array(512);
      const body = new TextEncoder().encode(content);
      const put = (offset: number, text: string) => header.set(new TextEncoder().encode(text), offset);
      put(0, name);
      put(100, "0000644\0");
      put(124, `${body.length.toString(8).padStart(11, "0")}\0`);
      put(156, "0");
      put(257, "ustar\u000000");
      header.fill(0x20, 148, 156);
      const sum = header.reduce((a, b) => a + b, 0);
      put(148, `${sum.toString(8).padStart(6, "0")}\0 `);
      blocks.push(header, body, new Uint8Array((512 - (body.length % 512)) % 512));
    }
    blocks.push(new Uint8Array(1024));
    return new Blob(blocks);
  };

  it.each([
    ["random bytes", () => new Blob([crypto.getRandomValues(new Uint8Array(4096))])],
    ["an empty blob", () => new Blob([])],
    ["gzip of random bytes", () => new Blob([gzipSync(crypto.getRandomValues(new Uint8Array(4096)))])],
    ["a broken gzip stream", () => new Blob([new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3])])],
    ["a tar of something else", () => tar({ "hello.txt": "hi" })],
    ["a truncated backup", () => backup.slice(0, Math.floor(backup.size / 2))],
    ["not a Blob", () => "backup.tgz" as unknown as Blob],
  ])("refuses %s with INVALID_BACKUP", async (_, make) => {
    await expect(target.restore(make())).rejects.toMatchObject({ name: "DatabaseError", code: "INVALID_BACKUP", message: expect.stringContaining("left as it was") });
    expect(await snapshot(target)).toEqual(before);
  });

  it("refuses a Postgres data directory that is not a Kalphite database", async () => {
    const plain = await PGlite.create();
    const foreign = await plain.dumpDataDir("gzip");
    await plain.close();
    await expect(target.restore(foreign)).rejects.toMatchObject({ code: "INVALID_BACKUP", message: expect.stringContaining("not a Kalphite") });
    expect(await snapshot(target)).toEqual(before);
    await target.upsert("todo", "still-writable", { title: "yes" });
    await target.delete("todo", "still-writable");
  });
});

describe("restore() replaces the contents", () => {
  it("restores into another initialised in-memory instance: its contents are replaced, migrations brought up to date", async () => {
    await target.restore(backup);
    expect(await target.getAll()).toEqual(sourceEntities);
    expect(await target.getById("todo", "mine")).toBeUndefined();
    // The whole database came across, including the application's own tables,
    // and the target's extra migration ran on the restored data.
    expect((await target.pglite.query("SELECT id, body, tags FROM notes")).rows).toEqual([{ id: "n1", body: "a table of the app", tags: null }]);
    expect(await target.getMigrationVersion()).toBe(2);
    // Both stay independent and writable.
    await target.upsert("todo", "after", { title: "written after restore" });
    expect(await source.getById("todo", "after")).toBeUndefined();
    expect(await target.count()).toBe(4);
  });

  it("restores into a directory database: the directory holds the restored data after reopening", async () => {
    const dir = join(parent, "db");
    const first = await createFrontendDatabase({ dbName: dir });
    await first.upsert("todo", "old", { title: "replaced by the restore" });
    await first.restore(backup);
    expect(await first.getAll()).toEqual(sourceEntities);
    await first.upsert("todo", "3", { title: "written after restore" });
    await first.close();

    const reopened = await createFrontendDatabase({ dbName: dir });
    expect((await reopened.getAll()).map((e) => e.id)).toEqual(["1", "2", "p", "3"]);
    expect(await reopened.getById("todo", "old")).toBeUndefined();
    await reopened.close();
    expect(readdirSync(parent)).toEqual(["db"]); // no staging or retired directories left behind
  });

  it("in storage it cannot swap (IndexedDB, OPFS), replaces the entities in place and keeps the app's tables", async () => {
    const db = await createFrontendDatabase({ dbName: "memory://backup-copy", migrations: [notesTable] });
    try {
      await db.upsert("todo", "local", { title: "replaced" });
      await db.pglite.query("INSERT INTO notes VALUES ('local', 'kept: app tables are not copied in this mode')");
      await restoreArchive(
        { location: { kind: "other", dataDir: "idb://backup-copy" }, current: () => db.pglite as unknown as PGlite, prepare: async () => undefined, adopt: () => expect.unreachable() },
        await readBackupArchive(backup),
      );
      expect(await db.getAll()).toEqual(sourceEntities);
      expect((await db.pglite.query("SELECT id FROM notes")).rows).toEqual([{ id: "local" }]);
    } finally {
      await db.close();
    }
  });
});
