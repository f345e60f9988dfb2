import type { ChangeMessage } from "../types";
import { entityKey, type EntityVersion } from "../version";
import type { PersistedSyncState, SyncStateStorage, SyncStateWrite } from "./state-storage";

interface Scope {
  clientId?: string | undefined;
  cursor: number;
  epoch?: string | undefined;
  versions: Map<string, EntityVersion>;
  queue: Map<string, ChangeMessage>;
}

/**
 * A `SyncStateStorage` in this process's memory: it survives a new engine on
 * the same storage object, not a restart of the process. The default.
 */
export function createMemorySyncStorage(): SyncStateStorage {
  const scopes = new Map<string, Scope>();
  const scopeOf = (name: string): Scope => {
    let scope = scopes.get(name);
    if (scope === undefined) {
      scope = { cursor: 0, versions: new Map(), queue: new Map() };
      scopes.set(name, scope);
    }
    return scope;
  };
  return {
    async load(name): Promise<PersistedSyncState> {
      const scope = scopeOf(name);
      return { clientId: scope.clientId, cursor: scope.cursor, epoch: scope.epoch, versions: [...scope.versions.values()], queue: [...scope.queue.values()] };
    },
    async write(name, write: SyncStateWrite): Promise<void> {
      const scope = scopeOf(name);
      if (write.clientId !== undefined) scope.clientId = write.clientId;
      if (write.cursor !== undefined) scope.cursor = write.cursor;
      if (write.epoch !== undefined) scope.epoch = write.epoch;
      for (const version of write.versions ?? []) scope.versions.set(entityKey(version.entityType, version.entityId), version);
      for (const id of write.dequeue ?? []) scope.queue.delete(id);
      for (const message of write.enqueue ?? []) scope.queue.set(message.messageId, message);
    },
  };
}
