import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { OperationStorage, PendingOperation } from "@kalphite/sync-ops";

type JournalEntry =
  | { readonly a: PendingOperation[] }
  | { readonly r: number[] }
  | { readonly p: PendingOperation[]; readonly last: number };

/**
 * A client's `OperationStorage` as an append-only journal file: each write
 * appends one line before it resolves, so what a `kill -9` leaves is every
 * completed write (a cut last line was never acknowledged and is skipped).
 * The journal is compacted when opened. The state version is not kept (the
 * soak client's store is memory-only, so a restarted client pulls everything).
 */
export function createFileOperationStorage(path: string): OperationStorage {
  const operations = new Map<number, PendingOperation>();
  let lastOperationId = 0;
  if (existsSync(path)) {
    for (const line of readFileSync(path, "utf8").split("\n")) {
      if (!line) continue;
      let entry: JournalEntry;
      try {
        entry = JSON.parse(line) as JournalEntry;
      } catch {
        continue; // the line a kill cut short
      }
      if ("a" in entry) for (const op of entry.a) (operations.set(op.id, op), (lastOperationId = Math.max(lastOperationId, op.id)));
      else if ("r" in entry) for (const id of entry.r) operations.delete(id);
      else {
        operations.clear();
        for (const op of entry.p) operations.set(op.id, op);
        lastOperationId = entry.last;
      }
    }
  }
  // Compact: one line with what is pending.
  writeFileSync(`${path}.tmp`, `${JSON.stringify({ p: [...operations.values()], last: lastOperationId })}\n`);
  renameSync(`${path}.tmp`, path);
  const write = (entry: JournalEntry) => appendFileSync(path, `${JSON.stringify(entry)}\n`);
  return {
    async load() {
      return { operations: [...operations.values()].sort((a, b) => a.id - b.id).map((op) => structuredClone(op)), lastOperationId, values: {} };
    },
    async append(_clientId, ops) {
      write({ a: [...ops] });
      for (const op of ops) (operations.set(op.id, structuredClone(op)), (lastOperationId = Math.max(lastOperationId, op.id)));
    },
    async remove(_clientId, ids) {
      write({ r: [...ids] });
      for (const id of ids) operations.delete(id);
    },
    async replace(_clientId, ops, last) {
      write({ p: [...ops], last });
      operations.clear();
      for (const op of ops) operations.set(op.id, structuredClone(op));
      lastOperationId = last;
    },
    async setValue() {},
    async close() {},
  };
}
