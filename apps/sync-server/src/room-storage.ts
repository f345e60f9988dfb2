import { createHash } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import { createPGliteSyncStorage, createPostgresSyncStorage, type SyncStorage } from "@kalphite/sync-ops";
import pg from "pg";
import { ServerError, ServerErrorCode, messageOf } from "./errors";
import type { Logger } from "./log";

/**
 * Opens the operation storage of each room. Every room lives in a SQL schema
 * of its own (`kr_<hash of the room name>`), holding @kalphite/sync-ops'
 * tables, so rooms never see each other's entities, versions or clients.
 */
export interface RoomStorageFactory {
  /** `"pglite"` (a data directory), `"memory"` (PGlite in memory) or `"postgres"`. */
  readonly kind: "pglite" | "memory" | "postgres";
  /** The storage of `room` (its schema is created when new). */
  open(room: string): Promise<SyncStorage>;
  /** Closes what the rooms share; call after every room storage was closed. */
  close(): Promise<void>;
}

/** The SQL schema of a room: a safe identifier whatever the room is called. */
export function roomSchema(room: string): string {
  return `kr_${createHash("sha256").update(room).digest("hex").slice(0, 24)}`;
}

/**
 * Rooms in one embedded PGlite (`dataDir`, or memory when `undefined`).
 * PGlite has one connection, so each room's storage gets a view of it whose
 * transactions first `SET LOCAL search_path` to the room's schema.
 */
export async function createPGliteRoomStorage(dataDir: string | undefined): Promise<RoomStorageFactory> {
  let db: PGlite;
  try {
    db = dataDir === undefined ? new PGlite() : new PGlite(dataDir);
    await db.waitReady;
  } catch (error) {
    throw new ServerError(ServerErrorCode.StorageFailed, `cannot open PGlite in ${dataDir ?? "memory"}: ${messageOf(error)}`, { cause: error });
  }
  return {
    kind: dataDir === undefined ? "memory" : "pglite",
    async open(room) {
      const schema = roomSchema(room);
      await db.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      // Only the two members @kalphite/sync-ops' PGlite driver uses (waitReady, transaction).
      const scoped = {
        waitReady: Promise.resolve(),
        transaction: <T>(fn: (tx: unknown) => Promise<T>) =>
          db.transaction(async (tx) => {
            await tx.exec(`SET LOCAL search_path TO ${schema}`);
            return fn(tx);
          }),
      };
      return createPGliteSyncStorage({ db: scoped as unknown as PGlite });
    },
    close: () => db.close(),
  };
}

/** Options of `createPostgresRoomStorage`. */
export interface PostgresRoomStorageOptions {
  readonly url: string;
  /** Connections per room. @default 4 */
  readonly poolSize?: number;
  /** How often each room checks the database for versions it did not hear of (a missed NOTIFY), ms; 0: never. @default 5000 */
  readonly resyncIntervalMs?: number;
  readonly log: Logger;
}

/** `url` with `search_path` set to `schema` for every connection made from it. */
function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  const options = parsed.searchParams.get("options");
  parsed.searchParams.set("options", `${options ? `${options} ` : ""}-c search_path=${schema}`);
  return parsed.toString();
}

/**
 * Rooms on a real PostgreSQL, shared by every server instance given the same
 * URL. Each room: a schema, a pool, and a LISTEN channel (`kalphite_<schema>`)
 * on which every instance announces its commits. A LISTEN connection that
 * drops misses what is sent meanwhile, so each room also reads its version
 * every `resyncIntervalMs` and, when the database is ahead of what this
 * instance heard, re-sends the notification: every instance (this one
 * included) then tells its clients to pull.
 */
export async function createPostgresRoomStorage(options: PostgresRoomStorageOptions): Promise<RoomStorageFactory> {
  const admin = new pg.Pool({ connectionString: options.url, max: 2 });
  admin.on("error", () => undefined);
  try {
    await admin.query("SELECT 1");
  } catch (error) {
    await admin.end().catch(() => undefined);
    throw new ServerError(ServerErrorCode.StorageFailed, `cannot connect to PostgreSQL: ${messageOf(error)}`, { cause: error });
  }
  const interval = options.resyncIntervalMs ?? 5000;
  return {
    kind: "postgres",
    async open(room) {
      const schema = roomSchema(room);
      const channel = `kalphite_${schema}`;
      const client = await admin.connect();
      let storage: SyncStorage;
      try {
        // Instances opening the same room at once would race on CREATE SCHEMA / CREATE TABLE.
        await client.query("SELECT pg_advisory_lock(hashtext($1))", [schema]);
        try {
          await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
          storage = await createPostgresSyncStorage({ connectionString: withSearchPath(options.url, schema), maxConnections: options.poolSize ?? 4, notifyChannel: channel });
        } finally {
          await client.query("SELECT pg_advisory_unlock(hashtext($1))", [schema]);
        }
      } finally {
        client.release();
      }
      return interval > 0 ? withResync(storage, { admin, schema, channel, room, interval, log: options.log }) : storage;
    },
    close: () => admin.end(),
  };
}

function withResync(
  inner: SyncStorage,
  o: { admin: pg.Pool; schema: string; channel: string; room: string; interval: number; log: Logger },
): SyncStorage {
  // The newest version this instance knows of; undefined until the first read.
  let heard: number | undefined;
  const off = inner.onChange((event) => {
    heard = Math.max(heard ?? 0, event.stateVersion);
  });
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      // sync-ops' version row (TABLES.meta) and its NOTIFY payload ({ v, t, c }).
      const { rows } = await o.admin.query<{ version: string }>(`SELECT version FROM ${o.schema}.kalphite_sync_meta WHERE id = 1`);
      const version = Number(rows[0]?.version ?? 0);
      if (heard === undefined) heard = version; // the first read: what the storage knew when it opened
      else if (version > heard) {
        o.log.warn("resync", { room: o.room, version, heard });
        await o.admin.query("SELECT pg_notify($1, $2)", [o.channel, JSON.stringify({ v: version, t: [], c: [] })]);
      }
    } catch (error) {
      o.log.warn("resync-failed", { room: o.room, error: messageOf(error) });
    } finally {
      busy = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), o.interval);
  timer.unref();
  return {
    kind: inner.kind,
    transaction: (fn) => inner.transaction(fn),
    readState: (query) => inner.readState(query),
    onChange: (listener) => inner.onChange(listener),
    compact: (before) => inner.compact(before),
    close: async () => {
      clearInterval(timer);
      off();
      await inner.close();
    },
  };
}
