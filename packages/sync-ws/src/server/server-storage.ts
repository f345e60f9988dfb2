import type { EntityVersion } from "../version";

/** A change as the server stores it: the resulting version, who caused it, and its room sequence. */
export interface StoredChange {
  readonly seq: number;
  readonly messageId: string;
  readonly userId: string;
  readonly clientId: string;
  /** ms since the epoch, from the sender. */
  readonly timestamp: number;
  /** The entity's version after this change (merged with what was stored). */
  readonly version: EntityVersion;
}

/** Everything the server needs to serve a room, read once when the room is first used. */
export interface RoomSnapshot {
  /**
   * Names this room's sequence: a new one whenever the sequence starts over
   * (a new room, or storage that was lost), so a client's cursor from
   * another epoch is not trusted. Stored with the first commit.
   */
  readonly epoch: string;
  /** The room's last sequence (0: empty). */
  readonly seq: number;
  /** The latest stored change of every entity (tombstones included). */
  readonly entities: readonly StoredChange[];
  /** Every `messageId` seen, with the sequence it was acknowledged with. */
  readonly messages: readonly (readonly [messageId: string, seq: number])[];
}

/** One atomic commit of a batch of changes to a room. */
export interface RoomCommit {
  /** The room's epoch (from its snapshot). */
  readonly epoch: string;
  /** The room's sequence after the commit. */
  readonly seq: number;
  /** New log entries; each also becomes its entity's current version. */
  readonly changes: readonly StoredChange[];
  /** `messageId`s to remember (applied, merged and stale ones), for apply-once. */
  readonly messages: readonly (readonly [messageId: string, seq: number])[];
}

/**
 * The server's storage, per room: entities with their clocks, a change log
 * with a server sequence, and the `messageId`s already applied. `commit`
 * must be atomic (all of it or none). Implementations:
 * `createMemoryServerStorage()` and `createPGliteServerStorage(dataDir)`.
 */
export interface SyncServerStorage {
  open(): Promise<void>;
  loadRoom(roomId: string): Promise<RoomSnapshot>;
  commit(roomId: string, commit: RoomCommit): Promise<void>;
  /** The log of a room after `afterSeq`, oldest first (at most `limit`). */
  readLog(roomId: string, afterSeq: number, limit: number): Promise<StoredChange[]>;
  close(): Promise<void>;
}

/** Server storage in this process's memory (the default without `dataDir`). */
export function createMemoryServerStorage(): SyncServerStorage {
  const rooms = new Map<string, { epoch: string; seq: number; entities: Map<string, StoredChange>; log: StoredChange[]; messages: Map<string, number> }>();
  const room = (id: string) => {
    let r = rooms.get(id);
    if (r === undefined) {
      r = { epoch: globalThis.crypto.randomUUID(), seq: 0, entities: new Map(), log: [], messages: new Map() };
      rooms.set(id, r);
    }
    return r;
  };
  return {
    async open() {},
    async loadRoom(roomId) {
      const r = room(roomId);
      return { epoch: r.epoch, seq: r.seq, entities: [...r.entities.values()], messages: [...r.messages.entries()] };
    },
    async commit(roomId, commit) {
      const r = room(roomId);
      r.epoch = commit.epoch;
      r.seq = commit.seq;
      for (const change of commit.changes) {
        r.log.push(change);
        r.entities.set(`${change.version.entityType}\u0000${change.version.entityId}`, change);
      }
      for (const [id, seq] of commit.messages) r.messages.set(id, seq);
    },
    async readLog(roomId, afterSeq, limit) {
      return room(roomId).log.filter((c) => c.seq > afterSeq).slice(0, limit);
    },
    async close() {},
  };
}
