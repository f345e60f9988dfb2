import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { OperationStorage, PendingOperation } from "@kalphite/sync-ops";

interface FileState {
  operations: PendingOperation[];
  lastOperationId: number;
}

/**
 * A client's `OperationStorage` in one JSON file, rewritten atomically
 * (temporary file + rename) before each write resolves: what a `kill -9`
 * leaves is the last completed write. The state version is not kept (the
 * soak client's store is memory-only, so a restarted client pulls everything).
 */
export function createFileOperationStorage(path: string): OperationStorage {
  let state: FileState = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as FileState) : { operations: [], lastOperationId: 0 };
  const save = () => {
    writeFileSync(`${path}.tmp`, JSON.stringify(state));
    renameSync(`${path}.tmp`, path);
  };
  return {
    async load() {
      return { operations: structuredClone(state.operations), lastOperationId: state.lastOperationId, values: {} };
    },
    async append(_clientId, operations) {
      const byId = new Map(state.operations.map((op) => [op.id, op]));
      for (const op of operations) byId.set(op.id, structuredClone(op));
      state = { operations: [...byId.values()].sort((a, b) => a.id - b.id), lastOperationId: Math.max(state.lastOperationId, ...operations.map((op) => op.id)) };
      save();
    },
    async remove(_clientId, ids) {
      const gone = new Set(ids);
      state = { ...state, operations: state.operations.filter((op) => !gone.has(op.id)) };
      save();
    },
    async replace(_clientId, operations, lastOperationId) {
      state = { operations: structuredClone([...operations]), lastOperationId };
      save();
    },
    async setValue() {},
    async close() {},
  };
}
