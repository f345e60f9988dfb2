import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { checkBackupFile } from "./backup-file";

/** A minimal ustar archive holding the given (empty) files. */
function tar(names: string[]): Uint8Array {
  const blocks = names.map((name) => {
    const header = Buffer.alloc(512);
    header.write(name, 0);
    header.write("0000000000 ", 124); // size 0
    header.write("ustar", 257);
    return header;
  });
  return Buffer.concat([...blocks, Buffer.alloc(1024)]);
}

describe("checkBackupFile", () => {
  it("accepts a PGlite data directory archive, compressed or not", () => {
    expect(() => checkBackupFile(gzipSync(tar(["/PG_VERSION", "/base/1/112"])), "b.tar.gz")).not.toThrow();
    expect(() => checkBackupFile(tar(["PG_VERSION"]), "b.tar")).not.toThrow();
  });

  it.each([
    ["an empty file", new Uint8Array(), "the file is empty"],
    ["random bytes", new Uint8Array(2048).fill(7), "no tar header at byte 0"],
    ["corrupt gzip", Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2, 3]), "the gzip data is corrupt"],
    ["JSON", new TextEncoder().encode('{"todos":[]}'), "the archive is truncated"],
    ["another archive", gzipSync(tar(["/notes.txt"])), "it holds no database"],
  ])("refuses %s with a one-line reason", (_what, bytes, reason) => {
    expect(() => checkBackupFile(bytes, "x.bak")).toThrow(`x.bak is not a kalphite-todo backup (${reason}); use a file written by \`kalphite-todo export\``);
  });
});
