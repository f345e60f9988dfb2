/**
 * Restoring into a directory swaps two directories by rename, which is two
 * steps: `target → retired`, then `staging → target`. A journal file beside
 * the target records the swap before it starts, so a crash at any point is
 * recovered on the next open (`recoverInterruptedRestore`), never leaving the
 * original data abandoned in a directory nobody looks at:
 *
 *   state "swapping"  (written before the first rename)
 *      └─ recovery: the restore never completed, so it is undone: the
 *         retired directory (the original data) is put back as the target,
 *         the half-swapped copy and the staging directory are removed.
 *   state "committed" (written once the swapped-in copy opened and read back)
 *      └─ recovery: the restore completed; the retired directory is removed.
 *
 * The journal is written to a temporary name and renamed into place, so it
 * is always whole; it is removed last.
 */

/** The file-system calls the restore and its recovery use (Node's `fs/promises`; tests inject faults). */
export interface RestoreFs {
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { recursive: true; force: true }): Promise<void>;
  writeFile(path: string, data: string): Promise<void>;
  readFile(path: string, encoding: "utf8"): Promise<string>;
  access(path: string): Promise<void>;
}

/** What the journal holds: sibling directory names (not paths), and how far the swap got. */
export interface RestoreJournal {
  readonly state: "swapping" | "committed";
  readonly staging: string;
  readonly retired: string;
}

/** Node's file system, loaded lazily so the package still loads in a browser. */
export async function nodeFs(): Promise<RestoreFs> {
  const fs = await import("node:fs/promises");
  return {
    rename: (from, to) => fs.rename(from, to),
    rm: (path, options) => fs.rm(path, options),
    writeFile: (path, data) => fs.writeFile(path, data),
    readFile: (path, encoding) => fs.readFile(path, encoding),
    access: (path) => fs.access(path),
  };
}

/** Where the journal of `target`'s restores lives. */
export const journalPath = (target: string) => `${target}.kalphite-restore.json`;

const siblingOf = (target: string, name: string) => {
  const slash = Math.max(target.lastIndexOf("/"), target.lastIndexOf("\\"));
  return slash === -1 ? name : `${target.slice(0, slash + 1)}${name}`;
};
const baseName = (path: string) => path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);

async function exists(fs: RestoreFs, path: string): Promise<boolean> {
  try {
    await fs.access(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes the journal whole (temporary file, then rename). */
export async function writeJournal(fs: RestoreFs, target: string, staging: string, retired: string, state: RestoreJournal["state"]): Promise<void> {
  const journal: RestoreJournal = { state, staging: baseName(staging), retired: baseName(retired) };
  const path = journalPath(target);
  await fs.writeFile(`${path}.tmp`, JSON.stringify(journal));
  await fs.rename(`${path}.tmp`, path);
}

/** Removes the journal (the last step of a restore, or of its recovery). */
export async function removeJournal(fs: RestoreFs, target: string): Promise<void> {
  await fs.rm(journalPath(target), { recursive: true, force: true });
  await fs.rm(`${journalPath(target)}.tmp`, { recursive: true, force: true });
}

/** What recovery found and did, for the caller to report. */
export type RecoveryOutcome = "none" | "rolled-back" | "completed";

/**
 * Finishes or undoes a restore of `target` that a crash interrupted (see the
 * file comment). Safe to run when there is nothing to recover.
 * @throws the file system's error when the journal is unreadable or a rename fails (nothing is deleted then)
 */
export async function recoverInterruptedRestore(target: string, fs: RestoreFs): Promise<RecoveryOutcome> {
  const path = journalPath(target);
  let text: string;
  try {
    text = await fs.readFile(path, "utf8");
  } catch {
    await fs.rm(`${path}.tmp`, { recursive: true, force: true }); // a journal never put in place: no swap started
    return "none";
  }
  const journal = JSON.parse(text) as Partial<RestoreJournal>;
  if (typeof journal.staging !== "string" || typeof journal.retired !== "string" || (journal.state !== "swapping" && journal.state !== "committed")) {
    throw new Error(`${path} is not a restore journal; move it away after checking ${target} and its siblings`);
  }
  const staging = siblingOf(target, journal.staging);
  const retired = siblingOf(target, journal.retired);
  if (journal.state === "committed") {
    await fs.rm(retired, { recursive: true, force: true });
    await fs.rm(staging, { recursive: true, force: true });
    await removeJournal(fs, target);
    return "completed";
  }
  if (await exists(fs, retired)) {
    // The original data is in `retired`: whatever sits at `target` is the
    // unconfirmed copy (or nothing). Move it aside first, so the original is
    // back in place before anything is deleted.
    if (await exists(fs, target)) await fs.rename(target, `${staging}-undone`);
    await fs.rename(retired, target);
    await fs.rm(`${staging}-undone`, { recursive: true, force: true });
  }
  await fs.rm(staging, { recursive: true, force: true });
  await removeJournal(fs, target);
  return "rolled-back";
}
