import { DatabaseError, DatabaseErrorCode } from "./errors";

/**
 * The backup format: PGlite's `dumpDataDir()` — a tarball of the Postgres
 * data directory, gzip-compressed. Before any of it reaches PGlite (which does
 * not survive some malformed input gracefully), the archive is checked here:
 * it must inflate, every tar header's checksum must hold, and it must hold a
 * Postgres data directory (`PG_VERSION`, `global/pg_control`). That it is a
 * *Kalphite* database is checked afterwards, by opening it aside.
 */

function invalid(message: string, cause?: unknown): DatabaseError {
  return new DatabaseError(DatabaseErrorCode.InvalidBackup, `restore(): ${message}; the database was left as it was`, cause === undefined ? undefined : { cause });
}

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const decoder = new TextDecoder();

function text(header: Uint8Array, start: number, length: number): string {
  const field = header.subarray(start, start + length);
  const end = field.indexOf(0);
  return decoder.decode(end === -1 ? field : field.subarray(0, end));
}

function octal(header: Uint8Array, start: number, length: number): number {
  // GNU tar writes sizes past 8 GB in base 256, flagged by the high bit.
  if ((header[start]! & 0x80) !== 0) {
    let value = header[start]! & 0x7f;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + header[i]!;
    return value;
  }
  const digits = text(header, start, length).trim();
  return /^[0-7]*$/.test(digits) ? (digits === "" ? 0 : parseInt(digits, 8)) : Number.NaN;
}

function checksumHolds(header: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return octal(header, 148, 8) === sum;
}

/** The file names in a tar archive, or a reason it is not one. */
function tarEntries(tar: Uint8Array): string[] | string {
  const names: string[] = [];
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) return names;
    if (!text(header, 257, 6).startsWith("ustar")) return `entry ${names.length} has no ustar header`;
    if (!checksumHolds(header)) return `entry ${names.length} fails its header checksum`;
    const size = octal(header, 124, 12);
    if (!Number.isFinite(size) || size < 0) return `entry ${names.length} has no valid size`;
    const prefix = text(header, 345, 155);
    const name = (prefix === "" ? "" : `${prefix}/`) + text(header, 0, 100);
    names.push(name.replace(/^\.?\/+/, ""));
    offset += 512 + Math.ceil(size / 512) * 512;
    if (offset > tar.length) return "the archive is truncated";
  }
  return names.length > 0 ? names : "the archive is empty";
}

/**
 * Checks that `backup` is a database backup and returns it as an
 * uncompressed tar `Blob`, ready for PGlite's `loadDataDir`.
 * @throws DatabaseError `INVALID_BACKUP`
 */
export async function readBackupArchive(backup: unknown): Promise<Blob> {
  if (typeof (backup as Blob | null)?.arrayBuffer !== "function") {
    throw invalid("the backup must be a Blob made by backup()");
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await (backup as Blob).arrayBuffer());
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = await gunzip(bytes);
  } catch (error) {
    throw invalid("the backup is not a readable gzip archive", error);
  }
  const entries = tarEntries(bytes);
  if (typeof entries === "string") throw invalid(`the backup is not a database archive (${entries})`);
  const files = new Set(entries);
  if (!files.has("PG_VERSION") || !files.has("global/pg_control")) {
    throw invalid("the backup is a tar archive but not of a Postgres data directory (no PG_VERSION or global/pg_control)");
  }
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/x-tar" });
}
