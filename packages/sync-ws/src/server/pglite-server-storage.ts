import { FrontendDatabase } from "@kalphite/pglite";
import { SyncError, SyncErrorCode, describeError } from "../errors";
import type { RoomCommit, RoomSnapshot, StoredChange, SyncServerStorage } from "./server-storage";

const TABLES = `
CREATE TABLE IF NOT EXISTS kalphite_sync_rooms (room text PRIMARY KEY, seq bigint NOT NULL);
CREATE TABLE IF NOT EXISTS kalphite_sync_log (
  room text NOT NULL, seq bigint NOT NULL, message_id text NOT NULL, change jsonb NOT NULL, PRIMARY KEY (room, seq));
CREATE TABLE IF NOT EXISTS kalphite_sync_entities (
  room text NOT NULL, entity_type text NOT NULL, entity_id text NOT NULL, seq bigint NOT NULL, change jsonb NOT NULL,
  PRIMARY KEY (room, entity_type, entity_id));
CREATE TABLE IF NOT EXISTS kalphite_sync_messages (room text NOT NULL, message_id text NOT NULL, seq bigint NOT NULL, PRIMARY KEY (room, message_id));
`;

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
        const room = await pg.query<{ seq: string | number }>("SELECT seq FROM kalphite_sync_rooms WHERE room = $1", [roomId]);
        const entities = await pg.query<{ change: StoredChange }>("SELECT change FROM kalphite_sync_entities WHERE room = $1 ORDER BY seq", [roomId]);
        const messages = await pg.query<{ message_id: string; seq: string | number }>("SELECT message_id, seq FROM kalphite_sync_messages WHERE room = $1", [roomId]);
        return {
          seq: Number(room.rows[0]?.seq ?? 0),
          entities: entities.rows.map((r) => r.change),
          messages: messages.rows.map((r) => [r.message_id, Number(r.seq)] as const),
        };
      } catch (error) {
        throw fail(`loading room "${roomId}"`, error);
      }
    },
    async commit(roomId, commit: RoomCommit) {
      try {
        await db.pglite.transaction(async (tx) => {
          await tx.query("INSERT INTO kalphite_sync_rooms (room, seq) VALUES ($1, $2) ON CONFLICT (room) DO UPDATE SET seq = EXCLUDED.seq", [roomId, commit.seq]);
          if (commit.changes.length > 0) {
            const rows = commit.changes.map((c) => ({ s: c.seq, m: c.messageId, t: c.version.entityType, i: c.version.entityId, c }));
            await tx.query(
              `INSERT INTO kalphite_sync_log (room, seq, message_id, change)
               SELECT $1, r.s, r.m, r.c FROM jsonb_to_recordset($2::jsonb) AS r(s bigint, m text, c jsonb)`,
              [roomId, JSON.stringify(rows)],
            );
            const latest = new Map<string, (typeof rows)[number]>();
            for (const row of rows) latest.set(`${row.t}\u0000${row.i}`, row);
            await tx.query(
              `INSERT INTO kalphite_sync_entities (room, entity_type, entity_id, seq, change)
               SELECT $1, r.t, r.i, r.s, r.c FROM jsonb_to_recordset($2::jsonb) AS r(t text, i text, s bigint, c jsonb)
               ON CONFLICT (room, entity_type, entity_id) DO UPDATE SET seq = EXCLUDED.seq, change = EXCLUDED.change`,
              [roomId, JSON.stringify([...latest.values()])],
            );
          }
          if (commit.messages.length > 0) {
            await tx.query(
              `INSERT INTO kalphite_sync_messages (room, message_id, seq)
               SELECT $1, r.m, r.s FROM jsonb_to_recordset($2::jsonb) AS r(m text, s bigint)
               ON CONFLICT (room, message_id) DO NOTHING`,
              [roomId, JSON.stringify(commit.messages.map(([m, s]) => ({ m, s })))],
            );
          }
        });
      } catch (error) {
        throw fail(`commit to room "${roomId}"`, error);
      }
    },
    async readLog(roomId, afterSeq, limit) {
      try {
        const result = await db.pglite.query<{ change: StoredChange }>("SELECT change FROM kalphite_sync_log WHERE room = $1 AND seq > $2 ORDER BY seq LIMIT $3", [roomId, afterSeq, limit]);
        return result.rows.map((r) => r.change);
      } catch (error) {
        throw fail(`reading the log of room "${roomId}"`, error);
      }
    },
    async close() {
      await db.close();
    },
  };
}
