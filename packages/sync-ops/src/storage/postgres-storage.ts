import pg from "pg";
import { SqlSyncStorage, type SqlDriver, type SqlRunner } from "./sql-storage";
import type { StorageChangeEvent, SyncStorage } from "./types";

/** Options of `createPostgresSyncStorage`. */
export interface PostgresSyncStorageOptions {
  /** A node-postgres connection string, `postgres://user:password@host:port/database`. */
  connectionString: string;
  /** Pool size. @default 10 */
  maxConnections?: number;
  /**
   * LISTEN/NOTIFY on this channel so every server instance on the database
   * hears every committed change (`onChange`). `false` disables it.
   * @default "kalphite_sync"
   */
  notifyChannel?: string | false;
}

/** NOTIFY payloads are limited to 8,000 bytes: the types are dropped from a payload that would not fit. */
const MAX_PAYLOAD = 7_900;

function encodeEvent(event: StorageChangeEvent): string {
  const full = JSON.stringify({ v: event.stateVersion, t: event.affectedEntityTypes, c: event.clientIds });
  return full.length <= MAX_PAYLOAD ? full : JSON.stringify({ v: event.stateVersion, t: [], c: [] });
}

function decodeEvent(payload: string | undefined): StorageChangeEvent | undefined {
  try {
    const raw = JSON.parse(payload ?? "") as { v?: unknown; t?: unknown; c?: unknown };
    if (typeof raw.v !== "number") return undefined;
    const strings = (value: unknown) => (Array.isArray(value) ? value.filter((x): x is string => typeof x === "string") : []);
    return { stateVersion: raw.v, affectedEntityTypes: strings(raw.t), clientIds: strings(raw.c) };
  } catch {
    return undefined;
  }
}

/**
 * Server storage on a real PostgreSQL through node-postgres, for when one
 * machine is not enough: several server instances may share the database
 * (writes are serialized on the version row; changes fan out with
 * LISTEN/NOTIFY). Tables are created when missing.
 *
 * @example
 * const storage = await createPostgresSyncStorage({ connectionString: process.env.DATABASE_URL! });
 */
export async function createPostgresSyncStorage(options: PostgresSyncStorageOptions): Promise<SyncStorage> {
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10 });
  // An idle client's error (the server restarted) must not crash the process; the pool replaces it.
  pool.on("error", () => undefined);
  const channel = options.notifyChannel === undefined ? "kalphite_sync" : options.notifyChannel;
  let listener: pg.Client | undefined;
  let closed = false;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const run = async <T>(mode: "write" | "read", fn: (sql: SqlRunner) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(mode === "read" ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN");
      const result = await fn(client as unknown as SqlRunner);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      try {
        await client.query("ROLLBACK");
      } catch (rollbackError) {
        broken = rollbackError as Error;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  };

  const startListening = async (deliver: (event: StorageChangeEvent) => void): Promise<void> => {
    if (channel === false || closed) return;
    const client = new pg.Client({ connectionString: options.connectionString });
    const reconnect = () => {
      if (closed || retry) return;
      client.removeAllListeners("notification");
      client.end().catch(() => undefined);
      retry = setTimeout(() => {
        retry = undefined;
        startListening(deliver).catch(reconnect);
      }, 1_000);
      retry.unref?.();
    };
    client.on("error", reconnect);
    client.on("end", reconnect);
    client.on("notification", (message) => {
      const event = decodeEvent(message.payload);
      if (event) deliver(event);
    });
    await client.connect();
    await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    listener = client;
  };

  const driver: SqlDriver = {
    kind: "postgres",
    transaction: run,
    ...(channel === false
      ? {}
      : {
          afterWrite: async (sql: SqlRunner, event: StorageChangeEvent) => {
            await sql.query("SELECT pg_notify($1, $2)", [channel, encodeEvent(event)]);
          },
          listen: startListening,
        }),
    close: async () => {
      closed = true;
      if (retry) clearTimeout(retry);
      const l = listener;
      listener = undefined;
      if (l) {
        l.removeAllListeners("end");
        await l.end().catch(() => undefined);
      }
      await pool.end();
    },
  };
  try {
    return await SqlSyncStorage.open(driver);
  } catch (error) {
    await driver.close().catch(() => undefined);
    throw error;
  }
}
