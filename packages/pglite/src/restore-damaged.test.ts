import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import * as nodeFsPromises from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFrontendDatabase, FrontendDatabase } from "./frontend-database";
import type { RestoreFs } from "./restore-journal";
import { restoreArchive } from "./database-restore";
import { readBackupArchive } from "./backup-archive";

const parent = mkdtempSync(join(tmpdir(), "kalphite-restore-damaged-"));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

const sourceRows = Array.from({ length: 400 }, (_, i) => ({ id: `s${i}`, type: "todo", title: `from the backup ${i} ${"x".repeat(40)}` }));
const mine = [{ id: "mine", type: "todo", title: "the data before the import" }];
let good: Blob;
let damaged: Blob;

/** The file of `path` (relative to the data directory) in an uncompressed tar: where its bytes start and how many. */
function tarFile(tar: Uint8Array, path: string): { start: number; size: number } {
  const text = (from: number, length: number) => new TextDecoder().decode(tar.subarray(from, from + length)).replace(/\0.*$/s, "");
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const name = `${text(offset + 345, 155)}/${text(offset, 100)}`.replace(/^\/+/, "");
    const size = parseInt(text(offset + 124, 12).trim() || "0", 8);
    if (name === path || name.endsWith(`/${path}`)) return { start: offset + 512, size };
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${path} is not in the archive`);
}

beforeAll(async () => {
  const source = await createFrontendDatabase({ dbName: "memory://restore-damaged-source" });
  await source.upsertMany(sourceRows);
  await source.pglite.exec("CHECKPOINT"); // the rows in the table's file, not only in the WAL
  const file = (await source.pglite.query<{ path: string }>("SELECT pg_relation_filepath('kalphite_entities') AS path")).rows[0]!.path;
  good = await source.backup();
  await source.close();

  // A valid gzip of a valid tar whose table file has one damaged page.
  const tar = gunzipSync(new Uint8Array(await good.arrayBuffer()));
  const { start, size } = tarFile(tar, file);
  expect(size).toBeGreaterThan(8192 * 2);
  tar.fill(0xa5, start + 8192 + 100, start + 8192 + 900); // inside block 1
  damaged = new Blob([gzipSync(tar)]);
  await expect(readBackupArchive(damaged)).resolves.toBeInstanceOf(Blob); // passes the archive checks

  // A directory database holding `mine`, copied for each test (cheaper than creating one each time).
  const db = await createFrontendDatabase({ dbName: template });
  await db.upsertMany(mine);
  await db.setMeta("cursor", 5);
  await db.close();
});

const template = join(parent, "template");
const freshDirectory = (name: string) => {
  const dir = join(parent, name);
  cpSync(template, dir, { recursive: true });
  return dir;
};

const siblings = (dir: string) => readdirSync(parent).filter((name) => name.startsWith(`${dir.split("/").pop()}.`));
const mineWithCursor = async (db: FrontendDatabase) => ({ entities: await db.getAll(), cursor: await db.getMeta("cursor") });

describe("restore() of a backup with a damaged page", () => {
  it("refuses it in a directory database before replacing anything: the data stays, the directory still opens, nothing is left beside it", async () => {
    const dir = freshDirectory("dir-db");
    const db = await createFrontendDatabase({ dbName: dir });
    const error = await db.restore(damaged).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "DatabaseError", code: "INVALID_BACKUP", message: expect.stringContaining("damaged") });
    expect(await db.getAll()).toEqual(mine);
    await db.upsert("todo", "after", { title: "still writable" });
    await db.close();
    expect(siblings(dir)).toEqual([]);

    const reopened = await createFrontendDatabase({ dbName: dir });
    expect((await reopened.getAll()).map((e) => e.id)).toEqual(["mine", "after"]);
    expect(await reopened.getMeta("cursor")).toBe(5);
    // …and a good backup can still be imported.
    await reopened.restore(good);
    expect(await reopened.count()).toBe(sourceRows.length);
    await reopened.close();
    expect(siblings(dir)).toEqual([]);
  });

  it("refuses it in memory too, keeping the instance", async () => {
    const db = await createFrontendDatabase({ dbName: "memory://restore-damaged-target" });
    try {
      await db.upsertMany(mine);
      await expect(db.restore(damaged)).rejects.toMatchObject({ code: "INVALID_BACKUP" });
      expect(await db.getAll()).toEqual(mine);
    } finally {
      await db.close();
    }
  });
});

describe("a crash in the middle of a directory restore is recovered on the next open", () => {
  /** Node's fs, where the first call matching `hangOn` never returns: the process "died" there. */
  const crashingFs = (hangOn: (call: string, args: string[]) => boolean): RestoreFs => {
    const hang = <T>(call: string, args: string[], run: () => Promise<T>): Promise<T> => (hangOn(call, args) ? new Promise<T>(() => undefined) : run());
    return {
      rename: (from, to) => hang("rename", [from, to], () => nodeFsPromises.rename(from, to)),
      rm: (path, options) => hang("rm", [path], () => nodeFsPromises.rm(path, options)),
      writeFile: (path, data) => hang("writeFile", [path, data], () => nodeFsPromises.writeFile(path, data)),
      readFile: (path, encoding) => nodeFsPromises.readFile(path, encoding),
      access: (path) => nodeFsPromises.access(path),
    };
  };

  let reached = false;
  const at = (predicate: (call: string, args: string[]) => boolean) => (call: string, args: string[]) => {
    if (reached || !predicate(call, args)) return false;
    reached = true;
    return true;
  };

  /** Runs a directory restore until the crash point; the process "dies" there (open instances are closed, nothing else runs). */
  const crashDuringRestore = async (dir: string, hangOn: Parameters<typeof crashingFs>[0]) => {
    reached = false;
    const closed = { close: async () => undefined } as unknown as PGlite; // the directory is not open: nothing to close first
    const adopted: PGlite[] = [];
    let settled = false;
    void restoreArchive(
      { location: { kind: "directory", path: dir }, current: () => closed, prepare: async () => undefined, adopt: (next) => adopted.push(next) },
      await readBackupArchive(good),
      { fs: crashingFs(hangOn) },
    ).finally(() => (settled = true));
    // Polls the real file system's progress (a restore takes a few PGlite opens); no timing is asserted.
    for (let i = 0; i < 3000 && !reached; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(reached).toBe(true);
    expect(settled).toBe(false);
    for (const pg of adopted) await pg.close();
  };

  it("between the two renames (the data is only in the retired directory): the original is put back", async () => {
    const dir = freshDirectory("crash-between");
    await crashDuringRestore(dir, at((call, args) => call === "rename" && args[0]!.includes(".kalphite-restore-")));
    expect(readdirSync(parent)).not.toContain("crash-between"); // the target is gone: only the retired copy holds the data
    const reopened = await createFrontendDatabase({ dbName: dir });
    expect(await mineWithCursor(reopened)).toEqual({ entities: mine, cursor: 5 });
    await reopened.close();
    expect(siblings(dir)).toEqual([]);
  });

  it("after both renames but before the swap was confirmed: the unconfirmed copy is undone, the original put back", async () => {
    const dir = freshDirectory("crash-after");
    await crashDuringRestore(dir, at((call, args) => call === "writeFile" && args[1]!.includes('"committed"')));
    const reopened = await createFrontendDatabase({ dbName: dir });
    expect(await mineWithCursor(reopened)).toEqual({ entities: mine, cursor: 5 });
    await reopened.close();
    expect(siblings(dir)).toEqual([]);
  });

  it("after the swap was confirmed, while cleaning up: the restore is kept and the retired directory removed", async () => {
    const dir = freshDirectory("crash-cleanup");
    await crashDuringRestore(dir, at((call, args) => call === "rm" && args[0]!.includes(".kalphite-retired-")));
    expect(siblings(dir).some((name) => name.includes("retired"))).toBe(true);
    const reopened = new FrontendDatabase({ dbName: dir });
    await reopened.init();
    expect(await reopened.count()).toBe(sourceRows.length);
    await reopened.close();
    expect(siblings(dir)).toEqual([]);
  });
});
