import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";

/**
 * The lock directory of `dataDir`: a hidden sibling, `.<name>.kalphite-todo-lock`.
 * Not inside the data directory, because `import` swaps that whole directory.
 */
export function lockDirOf(dataDir: string): string {
  return join(dirname(dataDir), `.${basename(dataDir)}.kalphite-todo-lock`);
}

/**
 * The socket path of a lock directory: `socket` inside it (mode 0700, so
 * only the user can connect), or, when that path is too long for a Unix
 * socket, a file in a private per-user directory under the temp directory.
 */
export function endpointOf(lockDir: string): string {
  const hash = createHash("sha256").update(lockDir).digest("hex").slice(0, 24);
  if (process.platform === "win32") return `\\\\.\\pipe\\kalphite-todo-${hash}`;
  const inside = join(lockDir, "socket");
  if (Buffer.byteLength(inside) <= 100) return inside;
  const uid = process.getuid?.() ?? 0;
  return join(tmpdir(), `kalphite-todo-${uid}`, `${hash}.sock`);
}
