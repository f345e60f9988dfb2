import { gunzipSync } from "node:zlib";
import { TodoError, TodoErrorCode } from "./errors";

const BLOCK = 512;

function field(header: Uint8Array, start: number, length: number): string {
  const bytes = header.subarray(start, start + length);
  const end = bytes.indexOf(0);
  return Buffer.from(end === -1 ? bytes : bytes.subarray(0, end)).toString("utf8");
}

/** The entry names of a tar archive. @throws Error when it is not a well-formed ustar archive. */
function tarEntries(tar: Uint8Array): string[] {
  const names: string[] = [];
  let offset = 0;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) return names; // end-of-archive marker
    if (!field(header, 257, 5).startsWith("ustar")) throw new Error(`no tar header at byte ${offset}`);
    const size = Number.parseInt(field(header, 124, 12).trim() || "0", 8);
    if (!Number.isFinite(size) || size < 0) throw new Error(`bad entry size at byte ${offset}`);
    const prefix = field(header, 345, 155);
    names.push(prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  if (offset > tar.length || names.length === 0) throw new Error("the archive is truncated");
  return names;
}

/**
 * Checks, before anything is touched, that `bytes` look like what `export`
 * writes: a PGlite data directory as a tar archive (gzip-compressed or not)
 * whose top level holds `PG_VERSION`. Catches empty, truncated, random and
 * wrong-kind files; the restore itself catches the rest.
 * @throws TodoError `BAD_BACKUP` naming the file and the problem
 */
export function checkBackupFile(bytes: Uint8Array, file: string): void {
  const bad = (why: string) =>
    new TodoError(TodoErrorCode.BadBackup, `${file} is not a kalphite-todo backup (${why}); use a file written by \`kalphite-todo export\``);
  if (bytes.length === 0) throw bad("the file is empty");
  let tar = bytes;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      tar = gunzipSync(bytes);
    } catch {
      throw bad("the gzip data is corrupt");
    }
  }
  let names: string[];
  try {
    names = tarEntries(tar);
  } catch (error) {
    throw bad((error as Error).message);
  }
  if (!names.some((name) => name.replace(/^\.?\//, "") === "PG_VERSION")) throw bad("it holds no database");
}
