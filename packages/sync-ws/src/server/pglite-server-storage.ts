import { FrontendDatabase } from "@kalphite/pglite";
import { SyncError, SyncErrorCode, describeError } from "../errors";
import type { RoomCommit, RoomSnapshot, StoredChange, SyncServerStorage } from "./server-storage";

// Keys (room, type, id, messageId) are stored JSON-encoded and changes as JSON text, not jsonb:
// PostgreSQL text cannot hold U+0000, which JSON strings (and so entities and ids) may contain;
// JSON.stringify escapes it (and lone surrogates) to ASCII.
const TABLES = `
CREATE TABLE IF NOT EXISTS kalphite_sync_rooms (room text PRIMARY KEY, seq bigint NOT NULL, epoch text NOT NULL);
CREATE TABLE IF NOT EXISTS kalphite_sync_log (
  room text NOT NULL, seq bigint NOT NULL, message_id text NOT NULL, change text NOT NULL, PRIMARY KEY (room, seq));
CREATE TABLE IF NOT EXISTS kalphite_sync_entities (
  room text NOT NULL, entity_key text NOT NULL, seq bigint NOT NULL, change text NOT NULL,
  PRIMARY KEY (room, entity_key));
CREATE TABLE IF NOT EXISTS kalphite_sync_messages (room text NOT NULL, message_id text NOT NULL, seq bigint NOT NULL, PRIMARY KEY (room, message_id));
`;

const key = (value: string) => JSON.stringify(value);

/**
 * Server storage in PGlite (through `@kalphite/pglite`'s `FrontendDatabase`):
 * `dataDir` is a directory (on disk; it survives a restart) or `memory://`.
 * Each commit is one SQL transaction.
 */
export function createPGliteServerStorage(dataDir: string): SyncServerStorage {
  const db = new FrontendDatabase({
    dbName: dataDir,
    enableBackup: false,
    migrations: [{ version: 1, name: "sync-ws server tables", up: (m) => m.exec(TABLES) }],
  });
  const fail = (what: string, error: unknown) => new SyncError(SyncErrorCode.StorageFailed, `sync server storage (${dataDir}): ${what} failed: ${describeError(error)}`, { cause: error });
  return {
    async open() {
      try {
        await db.init();
      } catch (error) {
        throw fail("open", error);
      }
    },
    async loadRoom(roomId): Promise<RoomSnapshot> {
      try {
        const pg = db.pglite;
        const room = await pg.query<{ seq: string | number; epoch: string }>("SELECT seq, epoch FROM kalphite_sync_rooms WHERE room = $1", [key(roomId)]);
        const entities = await pg.query<{ change: string }>("SELECT change FROM kalphite_sync_entities WHERE room = $1 ORDER BY seq", [key(roomId)]);
        const messages = await pg.query<{ message_id: string; seq: string | number }>("SELECT message_id, seq FROM kalphite_sync_messages WHERE room = $1", [key(roomId)]);
        return {
          epoch: room.rows[0]?.epoch ?? globalThis.crypto.randomUUID(),
          seq: Number(room.rows[0]?.seq ?? 0),
          entities: entities.rows.map((r) => JSON.parse(r.change) as StoredChange),
          messages: messages.rows.map((r) => [JSON.parse(r.message_id) as string, Number(r.seq)] as const),
        };
      } catch (error) {
        throw fail(`loading room "${roomId}"`, error);
      }
    },
    async commit(roomId, commit: RoomCommit) {
      try {
        await db.pglite.transaction(async (tx) => {
          const room = key(roomId);
          await tx.query("INSERT INTO kalphite_sync_rooms (room, seq, epoch) VALUES ($1, $2, $3) ON CONFLICT (room) DO UPDATE SET seq = EXCLUDED.seq", [room, commit.seq, commit.epoch]);
          if (commit.changes.length > 0) {
            const rows = commit.changes.map((c) => ({ s: c.seq, m: key(c.messageId), k: key(`${c.version.entityType}\u0000${c.version.entityId}`), c: JSON.stringify(c) }));
            await tx.query(
              `INSERT INTO kalphite_sync_log (room, seq, message_id, change)
               SELECT $1, r.s, r.m, r.c FROM jsonb_to_recordset($2::jsonb) AS r(s bigint, m text, c text)`,
              [room, JSON.stringify(rows)],
            );
            // The last change of an entity in the batch wins (ON CONFLICT cannot touch a row twice).
            const latest = new Map<string, (typeof rows)[number]>();
            for (const row of rows) latest.set(row.k, row);
            await tx.query(
              `INSERT INTO kalphite_sync_entities (room, entity_key, seq, change)
               SELECT $1, r.k, r.s, r.c FROM jsonb_to_recordset($2::jsonb) AS r(k text, s bigint, c text)
               ON CONFLICT (room, entity_key) DO UPDATE SET seq = EXCLUDED.seq, change = EXCLUDED.change`,
              [room, JSON.stringify([...latest.values()])],
            );
          }
          if (commit.messages.length > 0) {
            await tx.query(
              `INSERT INTO kalphite_sync_messages (room, message_id, seq)
               SELECT $1, r.m, r.s FROM jsonb_to_recordset($2::jsonb) AS r(m text, s bigint)
               ON CONFLICT (room, message_id) DO NOTHING`,
              [room, JSON.stringify(commit.messages.map(([m, s]) => ({ m: key(m), s })))],
            );
          }
        });
      } catch (error) {
        throw fail(`commit to room "${roomId}"`, error);
      }
    },
    async readLog(roomId, afterSeq, limit) {
      try {
        const result = await db.pglite.query<{ change: string }>("SELECT change FROM kalphite_sync_log WHERE room = $1 AND seq > $2 ORDER BY seq LIMIT $3", [key(roomId), afterSeq, limit]);
        return result.rows.map((r) => JSON.parse(r.change) as StoredChange);
      } catch (error) {
        throw fail(`reading the log of room "${roomId}"`, error);
      }
    },
    async close() {
      await db.close();
    },
  };
}
