import type { Transaction } from "@electric-sql/pglite";
import type { Entity } from "@kalphite/store";

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

// $1: a JSON array of entities (each carrying id and type), applied in order.
// Callers remove duplicate keys first: ON CONFLICT cannot touch a row twice.
const UPSERT = `INSERT INTO kalphite_entities AS t (type, id, data)
  SELECT e.data ->> 'type', e.data ->> 'id', e.data
  FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(data, ord)
  ORDER BY e.ord
  ON CONFLICT (type, id) DO UPDATE SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at`;

// $n: a JSON array of { type, id }.
const deleteKeys = (n: number) => `DELETE FROM kalphite_entities AS t
  USING jsonb_to_recordset($${n}::jsonb) AS k(type text, id text)
  WHERE t.type = k.type AND t.id = k.id`;

// With a quota, writes also report how much the stored data grew:
// pg_column_size of OLD/NEW (PostgreSQL 18's RETURNING OLD/NEW), summed in the
// same statement. That costs ~30 % of a small batch, so it is only done then.
const UPSERT_MEASURED = `WITH up AS (${UPSERT}
  RETURNING pg_column_size(new.data) - coalesce(pg_column_size(old.data), 0) AS grown)
SELECT count(*)::int AS upserted, 0 AS deleted, coalesce(sum(grown), 0)::bigint AS delta FROM up`;

const DELETE_MEASURED = `WITH gone AS (${deleteKeys(1)} RETURNING pg_column_size(t.data) AS freed)
SELECT 0 AS upserted, count(*)::int AS deleted, (-coalesce(sum(freed), 0))::bigint AS delta FROM gone`;

// Upserts and deletes together, as data-modifying CTEs of one statement: one
// statement is one transaction in Postgres, so the batch is applied all or
// nothing in a single round trip. The key sets are disjoint (callers keep each
// key's last change), so the two parts never touch the same row.
const APPLY_MEASURED = `WITH gone AS (${deleteKeys(2)} RETURNING pg_column_size(t.data) AS freed),
  up AS (${UPSERT} RETURNING pg_column_size(new.data) - coalesce(pg_column_size(old.data), 0) AS grown)
SELECT (SELECT count(*) FROM up)::int AS upserted, (SELECT count(*) FROM gone)::int AS deleted,
  ((SELECT coalesce(sum(grown), 0) FROM up) - (SELECT coalesce(sum(freed), 0) FROM gone))::bigint AS delta`;

const APPLY = `WITH gone AS (${deleteKeys(2)} RETURNING 1) ${UPSERT}`;

interface OutcomeRow {
  upserted: number;
  deleted: number;
  delta: number;
}

function measured(rows: OutcomeRow[]): WriteOutcome {
  const row = rows[0];
  return { upserted: row?.upserted ?? 0, deleted: row?.deleted ?? 0, sizeDelta: Number(row?.delta ?? 0) };
}

const NOTHING: WriteOutcome = { upserted: 0, deleted: 0, sizeDelta: 0 };

/**
 * Writes in one statement: `entitiesJson` (a JSON array of entities, or
 * undefined) upserted, `deletes` removed. Keys must be unique across both.
 * With `measure`, the outcome carries the stored size's change; without it
 * `sizeDelta` is 0 (and `deleted` is not counted when both kinds are given).
 */
export async function writeRows(q: Queryable, entitiesJson: string | undefined, deletes: readonly EntityKey[], measure: boolean): Promise<WriteOutcome> {
  const keys = deletes.length > 0 ? JSON.stringify(deletes) : undefined;
  if (entitiesJson !== undefined && keys !== undefined) {
    if (measure) return measured((await q.query<OutcomeRow>(APPLY_MEASURED, [entitiesJson, keys])).rows);
    const { affectedRows = 0 } = await q.query(APPLY, [entitiesJson, keys]);
    return { upserted: affectedRows, deleted: 0, sizeDelta: 0 };
  }
  if (entitiesJson !== undefined) {
    if (measure) return measured((await q.query<OutcomeRow>(UPSERT_MEASURED, [entitiesJson])).rows);
    const { affectedRows = 0 } = await q.query(UPSERT, [entitiesJson]);
    return { upserted: affectedRows, deleted: 0, sizeDelta: 0 };
  }
  if (keys !== undefined) {
    if (measure) return measured((await q.query<OutcomeRow>(DELETE_MEASURED, [keys])).rows);
    const { affectedRows = 0 } = await q.query(deleteKeys(1), [keys]);
    return { upserted: 0, deleted: affectedRows, sizeDelta: 0 };
  }
  return NOTHING;
}

/** Deletes ids of one type in one statement. */
export async function deleteIds(q: Queryable, entityType: string, ids: readonly string[], measure: boolean): Promise<WriteOutcome> {
  const remove = "DELETE FROM kalphite_entities WHERE type = $1 AND id IN (SELECT jsonb_array_elements_text($2::jsonb))";
  const params = [entityType, JSON.stringify(ids)];
  if (measure) {
    return measured((await q.query<OutcomeRow>(`WITH gone AS (${remove} RETURNING pg_column_size(data) AS freed) SELECT 0 AS upserted, count(*)::int AS deleted, (-coalesce(sum(freed), 0))::bigint AS delta FROM gone`, params)).rows);
  }
  const { affectedRows = 0 } = await q.query(remove, params);
  return { upserted: 0, deleted: affectedRows, sizeDelta: 0 };
}

/** The entity `(type, id)`. */
export async function selectById<T = Entity>(q: Queryable, entityType: string, entityId: string): Promise<T | undefined> {
  const { rows } = await q.query<{ data: T }>("SELECT data FROM kalphite_entities WHERE type = $1 AND id = $2", [entityType, entityId]);
  return rows[0]?.data;
}

function dataOf<T>(rows: { data: T }[]): T[] {
  const out = new Array<T>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = rows[i]!.data;
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
    return dataOf((await q.query<{ data: T }>(`SELECT data FROM kalphite_entities ${where} ORDER BY seq`, params)).rows);
  }
  if (rows.length === 1) return JSON.parse(rows[0]![0]) as T[];
  const out: T[] = [];
  for (const [chunk] of rows) {
    const part = JSON.parse(chunk) as T[];
    for (let i = 0; i < part.length; i++) out.push(part[i]!);
  }
  return out;
}

/** Every entity of one type, in insertion order. */
export function selectByType<T = Entity>(q: Queryable, entityType: string): Promise<T[]> {
  return selectInOrder<T>(q, "WHERE type = $1", [entityType]);
}

/** Every entity, in insertion order. */
export function selectAll<T = Entity>(q: Queryable): Promise<T[]> {
  return selectInOrder<T>(q, "", []);
}

/** Runs a compiled `find()`. */
export async function selectWhere<T = Entity>(q: Queryable, sql: string, params: unknown[]): Promise<T[]> {
  return dataOf((await q.query<{ data: T }>(sql, params)).rows);
}

/** How many entities there are, of one type or in all. */
export async function countRows(q: Queryable, entityType?: string): Promise<number> {
  const { rows } = entityType === undefined
    ? await q.query<{ n: number }>("SELECT count(*)::int AS n FROM kalphite_entities")
    : await q.query<{ n: number }>("SELECT count(*)::int AS n FROM kalphite_entities WHERE type = $1", [entityType]);
  return rows[0]?.n ?? 0;
}

/** Bytes of entity data stored: the sum of every row's stored JSONB size. */
export async function measureStoredBytes(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: number | bigint }>("SELECT coalesce(sum(pg_column_size(data)), 0)::bigint AS n FROM kalphite_entities");
  return Number(rows[0]?.n ?? 0);
}
