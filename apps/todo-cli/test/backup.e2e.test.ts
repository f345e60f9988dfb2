import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { PGlite } from "@electric-sql/pglite";
import { createKalphite } from "kalphite";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ensureBuilt, freshDataDir, run, tempDir } from "./helpers";

interface TodoJson {
  id: string;
  title: string;
  completed: boolean;
}

const titles = async (dir: string) =>
  (JSON.parse((await run(["list", "--all", "--json"], { dataDir: dir })).stdout) as TodoJson[]).map((t) => t.title);

describe("kalphite-todo export / import", () => {
  let dir: string;
  let backup: string;
  beforeAll(async () => {
    await ensureBuilt();
    dir = await freshDataDir();
    backup = join(tempDir(), "todos.tar.gz");
    const shell = await run([], { dataDir: dir, input: 'add "Keep me"\nadd "Me too" --project Home\nexit\n' });
    expect(shell.code).toBe(0);
  });

  it("exports a backup file", async () => {
    const { code, stdout } = await run(["export", backup, "--json"], { dataDir: dir });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ file: backup, todos: 2, projects: 1 });
    expect(readFileSync(backup).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b])); // gzip
  });

  it("imports it back over later changes", async () => {
    await run(["add", "Added after the backup"], { dataDir: dir });
    await run(["clear-done"], { dataDir: dir });
    expect(await titles(dir)).toEqual(["Keep me", "Me too", "Added after the backup"]);

    const restored = await run(["import", backup], { dataDir: dir });
    expect(restored).toMatchObject({ code: 0, stderr: "" });
    expect(restored.stdout).toBe(`Imported 2 todos and 1 project from ${backup} (replacing what was here)\n`);
    expect(await titles(dir)).toEqual(["Keep me", "Me too"]);

  });

  it("refuses a corrupt file with one line, exit code 1, data unchanged", async () => {
    const folder = tempDir();
    const garbage = join(folder, "garbage.tar.gz");
    writeFileSync(garbage, "this is not a backup\n");
    const truncated = join(folder, "truncated.tar.gz");
    writeFileSync(truncated, readFileSync(backup).subarray(0, 5000));
    for (const [file, reason] of [
      [garbage, "the archive is truncated"],
      [truncated, "the gzip data is corrupt"],
    ] as const) {
      const { code, stdout, stderr } = await run(["import", file], { dataDir: dir });
      expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
      expect(stderr).toBe(`kalphite-todo: ${file} is not a kalphite-todo backup (${reason}); use a file written by \`kalphite-todo export\`\n`);
    }
    expect(await titles(dir)).toEqual(["Keep me", "Me too"]);
  });

  it("refuses the backup of another Kalphite app, data unchanged", async () => {
    const Note = z.object({ id: z.string(), type: z.literal("note"), body: z.string() });
    const other = await createKalphite({ schema: z.discriminatedUnion("type", [Note]), dbName: "memory://" });
    other.store.note.upsert("n1", { body: "not a todo" });
    await other.flushEngine.flush();
    const file = join(tempDir(), "notes.tar.gz");
    writeFileSync(file, new Uint8Array(await (await other.db.backup()).arrayBuffer()));
    await other.close();

    const { code, stdout, stderr } = await run(["import", file], { dataDir: dir });
    expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
    expect(stderr).toBe(`kalphite-todo: cannot import ${file}: it holds note "n1", which is not a todo or project of this app\n`);
    expect(await titles(dir)).toEqual(["Keep me", "Me too"]);
  });

  it("refuses a valid archive with a damaged page inside: data unchanged, the directory still opens, a good backup still imports", async () => {
    // Which file holds the entities table: ask a copy of the backup.
    const pg = await PGlite.create({ loadDataDir: new Blob([readFileSync(backup)]) });
    const relation = (await pg.query<{ path: string }>("SELECT pg_relation_filepath('kalphite_entities') AS path")).rows[0]!.path;
    await pg.close();
    const tar = gunzipSync(readFileSync(backup));
    let damaged = false;
    for (let offset = 0; offset + 512 <= tar.length; ) {
      const header = tar.subarray(offset, offset + 512);
      if (header.every((byte) => byte === 0)) break;
      const name = header.subarray(0, 100).toString("utf8").replace(/\0.*$/s, "");
      const size = Number.parseInt(header.subarray(124, 136).toString("utf8").replace(/\0.*$/s, "").trim() || "0", 8);
      if (name.replace(/^(\.\/|\/)?(pgdata\/)?/, "").endsWith(relation) && size > 0) {
        // Garbage over the first page's header: the archive stays valid (tar headers and gzip are untouched).
        tar.fill(0xa5, offset + 512, offset + 512 + 24);
        damaged = true;
      }
      offset += 512 + Math.ceil(size / 512) * 512;
    }
    expect(damaged).toBe(true);
    const file = join(tempDir(), "damaged.tar.gz");
    writeFileSync(file, gzipSync(tar));

    const before = await titles(dir);
    const { code, stdout, stderr } = await run(["import", file], { dataDir: dir });
    expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
    expect(stderr).toMatch(new RegExp(`^kalphite-todo: cannot import ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: .+\n$`));
    expect(await titles(dir)).toEqual(before);
    expect(await run(["import", backup], { dataDir: dir })).toMatchObject({ code: 0, stderr: "" });
    expect(await titles(dir)).toEqual(["Keep me", "Me too"]);
  });

  it("reports an export it cannot write", async () => {
    const { code, stderr } = await run(["export", "/nonexistent-dir/x.tar.gz"], { dataDir: dir });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^kalphite-todo: cannot write \/nonexistent-dir\/x\.tar\.gz: ENOENT.*\n$/);
  });
});
