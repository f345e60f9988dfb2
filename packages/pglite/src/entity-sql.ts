import type { Transaction } from "@electric-sql/pglite";
import type { Entity } from "@kalphite/store";
import { encodeString, parseStored } from "./stored-json";

/** What runs SQL: a PGlite instance or one of its transactions. */
export type Queryable = Pick<Transaction, "query" | "exec">;

/** A `(type, id)` key, as sent to Postgres for deletes. */
export interface EntityKey {
  readonly type: string;
  readonly id: string;
}

/** What a write did, and how the stored entity data changed size (bytes, may be negative). */
export interface WriteOutcome {
  readonly upserted: number;
  readonly deleted: number;
  readonly sizeDelta: number;
}

// The entity rows. `seq` keeps first-insertion order (what a store collection
// shows); an upsert of an existing (type, id) keeps its seq. The entity is
// stored whole (with its id and type) so reads return `data` untouched.
// STORAGE EXTERNAL: large values go out of line uncompressed, so the stored
// size is the size written (an honest quota) and reads skip decompression.
export const CREATE_ENTITIES_SQL = `
CREATE TABLE IF NOT EXISTS kalphite_entities (
  type text NOT NULL,
  id text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  data jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (type, id)
);
ALTER TABLE kalphite_entities ALTER COLUMN data SET STORAGE EXTERNAL;
`;

// $n: a JSON array of entities (each carrying id and type, in stored form),
// applied in order. Callers remove duplicate keys first: ON CONFLICT cannot
// touch a row twice.
const upsertSql = (n: number) => `INSERT INTO kalphite_entities AS t (type, id, data)
  SELECT e.data ->> 'type', e.data ->> 'id', e.data
  FROM jsonb_array_elements($${n}::jsonb) WITH ORDINALITY AS e(data, ord)
  ORDER BY e.ord
  ON CONFLICT (type, id) DO UPDATE SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at`;

// $n: a JSON array of { type, id } (stored form).
const deleteKeysSql = (n: number) => `DELETE FROM kalphite_entities AS t
  USING jsonb_to_recordset($${n}::jsonb) AS k(type text, id text)
  WHERE t.type = k.type AND t.id = k.id`;

// $n: a JSON object of key → value (stored form).
const setMetaSql = (n: number) => `INSERT INTO kalphite_meta AS m (key, value)
  SELECT e.key, e.value FROM jsonb_each($${n}::jsonb) AS e
  ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`;

// $n: a JSON array of keys (stored form).
const deleteMetaSql = (n: number) => "DELETE FROM kalphite_meta WHERE key IN (SELECT jsonb_array_elements_text($" + n + "::jsonb))";

/** Metadata written with a batch: keys set (a JSON object, stored form) and keys removed. */
export interface MetaWrite {
  /** A JSON object of the keys to set, in stored form, or undefined. */
  readonly setJson: string | undefined;
  /** Keys (stored form) to remove. */
  readonly deleteKeys: readonly string[];
}

/** Everything one write statement does; keys must be unique across upserts and deletes. */
export interface RowWrite {
  /** The entities to upsert as one JSON array in stored form, or undefined. */
  readonly entitiesJson: string | undefined;
  /** `(type, id)` keys to delete, in stored form. */
  readonly deletes: readonly EntityKey[];
  readonly meta?: MetaWrite | undefined;
}

/**
 * How a write is checked against the quota: with `measure`, the statement
 * reports the stored size's change; with `allowedGrowth` as well, the
 * statement itself fails (SQLSTATE KQ001, so nothing of it is applied) when
 * its net growth is positive and above it.
 */
export interface WriteCheck {
  readonly measure: boolean;
  readonly allowedGrowth?: number | undefined;
}

/** SQLSTATE of `kalphite_check_growth`: a write's net growth passed the quota. */
export const QUOTA_SQLSTATE = "KQ001";

interface OutcomeRow {
  upserted: number;
  deleted: number;
  delta: number | string | bigint;
}

const NOTHING: WriteOutcome = { upserted: 0, deleted: 0, sizeDelta: 0 };

/**
 * Writes in one statement, as data-modifying CTEs: `entitiesJson` upserted,
 * `deletes` removed, metadata set and removed. One statement is one
 * transaction in Postgres, so the write is applied all or nothing in a single
 * round trip. With `check.measure` the outcome carries the stored size's net
 * change (upserts' growth minus what deletes free); without it `sizeDelta`
 * is 0 (and `deleted` is not counted when upserts are given too).
 */
export async function writeRows(q: Queryable, write: RowWrite, check: WriteCheck): Promise<WriteOutcome> {
  const params: unknown[] = [];
  const param = (value: unknown) => params.push(value);
  const ctes: string[] = [];
  let upsert: string | undefined;
  let remove: string | undefined;
  if (write.deletes.length > 0) {
    param(JSON.stringify(write.deletes));
    remove = deleteKeysSql(params.length);
  }
  if (write.entitiesJson !== undefined) {
    param(write.entitiesJson);
    upsert = upsertSql(params.length);
  }
  if (write.meta?.setJson !== undefined) {
    param(write.meta.setJson);
    ctes.push(`meta_set AS (${setMetaSql(params.length)} RETURNING 1)`);
  }
  if (write.meta !== undefined && write.meta.deleteKeys.length > 0) {
    param(JSON.stringify(write.meta.deleteKeys));
    ctes.push(`meta_gone AS (${deleteMetaSql(params.length)} RETURNING 1)`);
  }
  if (upsert === undefined && remove === undefined && ctes.length === 0) return NOTHING;

  if (!check.measure) {
    // The cheapest form: the upsert (or the delete) is the main statement and reports its own row count.
    if (upsert !== undefined && remove !== undefined) ctes.unshift(`gone AS (${remove} RETURNING 1)`);
    const main = upsert ?? remove ?? "SELECT 1";
    const sql = ctes.length > 0 ? `WITH ${ctes.join(",\n  ")}\n${main}` : main;
    const { affectedRows = 0 } = await q.query(sql, params);
    if (upsert !== undefined) return { upserted: affectedRows, deleted: 0, sizeDelta: 0 };
    return { upserted: 0, deleted: remove !== undefined ? affectedRows : 0, sizeDelta: 0 };
  }

  if (remove !== undefined) ctes.unshift(`gone AS (${remove} RETURNING pg_column_size(t.data) AS freed)`);
  if (upsert !== undefined) ctes.unshift(`up AS (${upsert} RETURNING pg_column_size(new.data) - coalesce(pg_column_size(old.data), 0) AS grown)`);
  const grown = upsert !== undefined ? "(SELECT coalesce(sum(grown), 0) FROM up)" : "0";
  const freed = remove !== undefined ? "(SELECT coalesce(sum(freed), 0) FROM gone)" : "0";
  let delta = `(${grown} - ${freed})::bigint`;
  if (check.allowedGrowth !== undefined) {
    param(Math.floor(check.allowedGrowth));
    delta = `kalphite_check_growth(${delta}, $${params.length}::bigint)`;
  }
  const sql = `WITH ${ctes.join(",\n  ")}
SELECT ${upsert !== undefined ? "(SELECT count(*) FROM up)::int" : "0"} AS upserted,
  ${remove !== undefined ? "(SELECT count(*) FROM gone)::int" : "0"} AS deleted, ${delta} AS delta`;
  const row = (await q.query<OutcomeRow>(sql, params)).rows[0];
  return { upserted: row?.upserted ?? 0, deleted: row?.deleted ?? 0, sizeDelta: Number(row?.delta ?? 0) };
}

/** Deletes ids of one type in one statement (a delete never grows the data: no quota check). */
export async function deleteIds(q: Queryable, entityType: string, ids: readonly string[], measure: boolean): Promise<WriteOutcome> {
  const remove = "DELETE FROM kalphite_entities WHERE type = $1 AND id IN (SELECT jsonb_array_elements_text($2::jsonb))";
  const params = [encodeString(entityType), JSON.stringify(ids.map(encodeString))];
  if (measure) {
    const { rows } = await q.query<OutcomeRow>(`WITH gone AS (${remove} RETURNING pg_column_size(data) AS freed) SELECT 0 AS upserted, count(*)::int AS deleted, (-coalesce(sum(freed), 0))::bigint AS delta FROM gone`, params);
    return { upserted: 0, deleted: rows[0]?.deleted ?? 0, sizeDelta: Number(rows[0]?.delta ?? 0) };
  }
  const { affectedRows = 0 } = await q.query(remove, params);
  return { upserted: 0, deleted: affectedRows, sizeDelta: 0 };
}

/** The entity `(type, id)`. */
export async function selectById<T = Entity>(q: Queryable, entityType: string, entityId: string): Promise<T | undefined> {
  const { rows } = await q.query<[string]>("SELECT data::text FROM kalphite_entities WHERE type = $1 AND id = $2", [encodeString(entityType), encodeString(entityId)], { rowMode: "array" });
  const text = rows[0]?.[0];
  return text === undefined ? undefined : parseStored<T>(text);
}

/** Rows of one text column, each parsed from stored JSON. */
function parseRows<T>(rows: [string][]): T[] {
  const out = new Array<T>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = parseStored<T>(rows[i]![0]);
  return out;
}

/** Rows per aggregated chunk: keeps each chunk's text far below Postgres' 1 GB value limit. */
const CHUNK_ROWS = 1000;

/** Postgres' "too big" errors: program_limit_exceeded, out_of_memory. */
const isSizeLimit = (error: unknown) => ["54000", "53200"].includes((error as { code?: unknown } | null)?.code as string);

/**
 * The entities matching `where`, in insertion order. Rows are fetched as a
 * few JSON arrays (`json_agg` over chunks of `seq`), each parsed with one
 * `JSON.parse`: much faster than a result row (and a parse) per entity,
 * which is what bulk reads such as hydration pay for. Falls back to one row
 * per entity when a chunk is too big for Postgres (outside a transaction;
 * inside one the error aborts it and is reported).
 */
async function selectInOrder<T>(q: Queryable, where: string, params: unknown[]): Promise<T[]> {
  let rows: [string][];
  try {
    ({ rows } = await q.query<[string]>(
      `SELECT json_agg(data ORDER BY seq)::text FROM kalphite_entities ${where} GROUP BY seq / ${CHUNK_ROWS} ORDER BY seq / ${CHUNK_ROWS}`,
      params,
      { rowMode: "array" },
    ));
  } catch (error) {
    if (!isSizeLimit(error)) throw error;
    return parseRows<T>((await q.query<[string]>(`SELECT data::text FROM kalphite_entities ${where} ORDER BY seq`, params, { rowMode: "array" })).rows);
  }
  if (rows.length === 1) return parseStored<T[]>(rows[0]![0]);
  const out: T[] = [];
  for (const [chunk] of rows) {
    const part = parseStored<T[]>(chunk);
    for (let i = 0; i < part.length; i++) out.push(part[i]!);
  }
  return out;
}

/** Every entity of one type, in insertion order. */
export function selectByType<T = Entity>(q: Queryable, entityType: string): Promise<T[]> {
  return selectInOrder<T>(q, "WHERE type = $1", [encodeString(entityType)]);
}

/** Every entity, in insertion order. */
export function selectAll<T = Entity>(q: Queryable): Promise<T[]> {
  return selectInOrder<T>(q, "", []);
}

/** Runs a compiled `find()` (a SELECT of one column: `data::text`). */
export async function selectWhere<T = Entity>(q: Queryable, sql: string, params: unknown[]): Promise<T[]> {
  return parseRows<T>((await q.query<[string]>(sql, params, { rowMode: "array" })).rows);
}

/** How many entities there are, of one type or in all. */
export async function countRows(q: Queryable, entityType?: string): Promise<number> {
  const { rows } = entityType === undefined
    ? await q.query<{ n: number }>("SELECT count(*)::int AS n FROM kalphite_entities")
    : await q.query<{ n: number }>("SELECT count(*)::int AS n FROM kalphite_entities WHERE type = $1", [encodeString(entityType)]);
  return rows[0]?.n ?? 0;
}

/** Bytes of entity data stored: the sum of every row's stored JSONB size. */
export async function measureStoredBytes(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: number | bigint }>("SELECT coalesce(sum(pg_column_size(data)), 0)::bigint AS n FROM kalphite_entities");
  return Number(rows[0]?.n ?? 0);
}

// Metadata written with flush batches (a sync cursor…), one row per key;
// values are JSON in stored form (see stored-json.ts).
export const CREATE_META_SQL = `
CREATE TABLE IF NOT EXISTS kalphite_meta (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
)`;

// The quota check inside a write statement: raising aborts the statement,
// so a write over the limit leaves nothing behind. Net growth ≤ 0 always passes.
export const CREATE_CHECK_GROWTH_SQL = `
CREATE OR REPLACE FUNCTION kalphite_check_growth(grown bigint, allowed bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
  IF grown > 0 AND grown > allowed THEN
    RAISE EXCEPTION 'kalphite storage quota: the write grows the data by % bytes, % allowed', grown, greatest(allowed, 0)
      USING ERRCODE = '${QUOTA_SQLSTATE}', DETAIL = grown::text;
  END IF;
  RETURN grown;
END
$$`;

/** The metadata value of `key`, or undefined when there is none. */
export async function selectMeta(q: Queryable, key: string): Promise<unknown> {
  const { rows } = await q.query<[string]>("SELECT value::text FROM kalphite_meta WHERE key = $1", [encodeString(key)], { rowMode: "array" });
  const text = rows[0]?.[0];
  return text === undefined ? undefined : parseStored<unknown>(text);
}
