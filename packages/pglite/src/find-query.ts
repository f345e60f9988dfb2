import { DatabaseError, DatabaseErrorCode } from "./errors";
import { encodeString, stringifyStoredValue } from "./stored-json";

/** A value `find()` compares a field with: a JSON scalar. */
export type FindScalar = string | number | boolean | null;

/**
 * Operators on one field; several in one object are combined with AND.
 * `eq`/`ne` follow `===`/`!==` (a number never equals a string); `null`
 * stands for "null or missing". The range operators only match fields of the
 * value's own JSON type (`{ gt: 3 }` skips strings); numbers compare
 * numerically, strings by code point.
 */
export interface FieldOperators {
  readonly eq?: FindScalar | undefined;
  readonly ne?: FindScalar | undefined;
  readonly gt?: string | number | boolean | undefined;
  readonly gte?: string | number | boolean | undefined;
  readonly lt?: string | number | boolean | undefined;
  readonly lte?: string | number | boolean | undefined;
  /** Matches when the field equals any listed value (`null` in the list matches null or missing). */
  readonly in?: readonly FindScalar[] | undefined;
}

/** A field's condition: a scalar (shorthand for `{ eq: value }`) or operators. */
export type FieldCondition = FindScalar | FieldOperators;

/** One sort key: a field, ascending unless `direction` says otherwise. */
export interface FindOrder {
  readonly field: string;
  /** @default "asc" */
  readonly direction?: "asc" | "desc" | undefined;
}

/**
 * A query `find()` runs in SQL. Field names are entity properties; nested
 * ones are written with dots (`"project.id"`); each segment must be an
 * identifier (`[A-Za-z_][A-Za-z0-9_]*`).
 */
export interface FindOptions {
  /** Conditions per field, all of which must hold. @default {} (every entity of the type) */
  readonly where?: Readonly<Record<string, FieldCondition>> | undefined;
  /**
   * Sort keys, like the store's `orderBy`: `null`/missing last when ascending,
   * first when descending; ties keep insertion order.
   * @default insertion order
   */
  readonly orderBy?: string | FindOrder | readonly (string | FindOrder)[] | undefined;
  /** Most entities returned (an integer ≥ 0). @default no limit */
  readonly limit?: number | undefined;
  /** Entities skipped first (an integer ≥ 0). @default 0 */
  readonly offset?: number | undefined;
}

const SEGMENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const OPERATORS = new Set(["eq", "ne", "gt", "gte", "lt", "lte", "in"]);
const RANGE_SQL = { gt: ">", gte: ">=", lt: "<", lte: "<=" } as const;

function invalidQuery(message: string): DatabaseError {
  return new DatabaseError(DatabaseErrorCode.InvalidQuery, message);
}

/**
 * Checks a field path and returns its segments. Segments are identifiers, so
 * they can be written into SQL (and index definitions) as literals safely.
 * @throws DatabaseError `INVALID_QUERY`
 */
export function checkFieldPath(field: unknown): string[] {
  if (typeof field !== "string" || field === "") throw invalidQuery(`a field must be a non-empty string, got ${JSON.stringify(field)}`);
  const segments = field.split(".");
  for (const segment of segments) {
    if (!SEGMENT.test(segment)) {
      throw invalidQuery(`field "${field}": each dot-separated part must match [A-Za-z_][A-Za-z0-9_]* (got "${segment}")`);
    }
  }
  return segments;
}

/**
 * The SQL of a field's value: its JSONB, with JSON `null` folded into SQL
 * NULL so "null" and "missing" behave alike. Indexes are built on this exact
 * expression, so queries and indexes match.
 */
export function fieldExpression(field: string): string {
  const path = checkFieldPath(field).map((segment) => `'${segment}'`).join(" -> ");
  return `NULLIF(data -> ${path}, 'null'::jsonb)`;
}

function checkScalar(value: unknown, where: string): FindScalar {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  throw invalidQuery(`${where}: expected a string, a finite number, a boolean or null, got ${value instanceof Date ? "a Date (compare ISO strings or epoch numbers instead)" : typeof value}`);
}

function jsonType(value: string | number | boolean): string {
  return typeof value === "number" ? "number" : typeof value;
}

class SqlParams {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  /** A JSON value in stored form (see stored-json.ts), so it compares with what is stored. */
  json(value: unknown): string {
    return `${this.add(stringifyStoredValue(value))}::jsonb`;
  }
}

function compileCondition(field: string, condition: FieldCondition, params: SqlParams): string[] {
  const e = fieldExpression(field);
  if (Array.isArray(condition)) throw invalidQuery(`where.${field}: use { in: [...] } to match several values`);
  const isObject = condition !== null && typeof condition === "object";
  if (isObject && Object.getPrototypeOf(condition) !== Object.prototype && Object.getPrototypeOf(condition) !== null) {
    throw invalidQuery(`where.${field}: expected a scalar or an operators object { eq, ne, gt, gte, lt, lte, in }, got ${condition instanceof Date ? "a Date (compare ISO strings or epoch numbers instead)" : "an object of another class"}`);
  }
  const ops: FieldOperators = isObject ? condition : { eq: condition };
  const sql: string[] = [];
  for (const [op, raw] of Object.entries(ops)) {
    if (!OPERATORS.has(op)) throw invalidQuery(`where.${field}: unknown operator "${op}" (use eq, ne, gt, gte, lt, lte, in)`);
    if (raw === undefined) continue;
    const where = `where.${field}.${op}`;
    if (op === "in") {
      if (!Array.isArray(raw)) throw invalidQuery(`${where} must be an array`);
      const values = raw.map((v, i) => checkScalar(v, `${where}[${i}]`));
      const present = values.filter((v) => v !== null);
      const parts = present.length > 0 ? [`${e} = ANY(ARRAY(SELECT jsonb_array_elements(${params.json(present)})))`] : [];
      if (present.length < values.length) parts.push(`${e} IS NULL`);
      sql.push(parts.length === 0 ? "FALSE" : `(${parts.join(" OR ")})`);
      continue;
    }
    const value = checkScalar(raw, where);
    if (op === "eq") sql.push(value === null ? `${e} IS NULL` : `${e} = ${params.json(value)}`);
    else if (op === "ne") sql.push(value === null ? `${e} IS NOT NULL` : `${e} IS DISTINCT FROM ${params.json(value)}`);
    else {
      if (value === null) throw invalidQuery(`${where}: a range needs a string, number or boolean, not null`);
      sql.push(`${e} ${RANGE_SQL[op as keyof typeof RANGE_SQL]} ${params.json(value)} AND jsonb_typeof(${e}) = '${jsonType(value)}'`);
    }
  }
  return sql;
}

function compileOrder(orderBy: FindOptions["orderBy"]): string {
  if (orderBy === undefined) return "seq";
  const keys = Array.isArray(orderBy) ? orderBy : [orderBy];
  const parts = (keys as readonly (string | FindOrder)[]).map((key) => {
    const { field, direction = "asc" } = typeof key === "string" ? { field: key } : (key ?? ({} as FindOrder));
    if (direction !== "asc" && direction !== "desc") throw invalidQuery(`orderBy "${String(field)}": direction must be "asc" or "desc"`);
    // Postgres puts NULLs last ascending and first descending: the store's `orderBy` does the same.
    return `${fieldExpression(field)} ${direction === "desc" ? "DESC" : "ASC"}`;
  });
  return [...parts, "seq"].join(", ");
}

function checkCount(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw invalidQuery(`${name} must be an integer ≥ 0, got ${JSON.stringify(value)}`);
  return value;
}

/** Compiles a `find()` into one parameterised SELECT of `data::text` (stored form). @throws DatabaseError `INVALID_QUERY` */
export function buildFindQuery(entityType: string, options: FindOptions = {}): { sql: string; params: unknown[] } {
  if (typeof options !== "object" || options === null) throw invalidQuery("find(entityType, options): options must be an object");
  const params = new SqlParams();
  const conditions = [`type = ${params.add(encodeString(entityType))}`];
  const where = options.where ?? {};
  if (typeof where !== "object" || where === null) throw invalidQuery("find(): where must be an object of field conditions");
  for (const [field, condition] of Object.entries(where)) {
    if (condition !== undefined) conditions.push(...compileCondition(field, condition, params));
  }
  let sql = `SELECT data::text FROM kalphite_entities WHERE ${conditions.join(" AND ")} ORDER BY ${compileOrder(options.orderBy)}`;
  const limit = checkCount(options.limit, "limit");
  const offset = checkCount(options.offset, "offset");
  if (limit !== undefined) sql += ` LIMIT ${params.add(limit)}`;
  if (offset !== undefined) sql += ` OFFSET ${params.add(offset)}`;
  return { sql, params: params.values };
}

const shortName = (base: string) => {
  if (base.length <= 63) return base;
  let hash = 0;
  for (let i = 0; i < base.length; i++) hash = (Math.imul(hash, 31) + base.charCodeAt(i)) | 0;
  return `${base.slice(0, 54)}_${(hash >>> 0).toString(16).padStart(8, "0")}`;
};

/**
 * The name of the index on `field` (quoted identifier, ≤ 63 bytes):
 * `kalphite_idx.<field>`, the dotted path kept as it is. Segments are
 * identifiers, so no two fields share a name (`a.b` and `a__b` differ).
 */
export function indexName(field: string): string {
  return `"${shortName(`kalphite_idx.${checkFieldPath(field).join(".")}`)}"`;
}

/**
 * The name the index on `field` had before 0.2, which joined segments with
 * `__` (so `a.b` and `a__b` collided). `createIndex` drops such an index when
 * it indexes the same expression, and `dropIndex` drops it too.
 */
export function legacyIndexName(field: string): string {
  const base = `kalphite_idx_${checkFieldPath(field).join("__")}`;
  if (base.length <= 63) return `"${base}"`;
  let hash = 0;
  for (let i = 0; i < base.length; i++) hash = (Math.imul(hash, 31) + base.charCodeAt(i)) | 0;
  return `"${base.slice(0, 52)}_${(hash >>> 0).toString(16).padStart(8, "0")}"`;
}

/** `CREATE INDEX` on `(type, <field expression>)`: serves `find()`'s equality, range and ordering on the field. */
export function createIndexSql(field: string): string {
  return `CREATE INDEX IF NOT EXISTS ${indexName(field)} ON kalphite_entities (type, (${fieldExpression(field)}))`;
}

/** `DROP INDEX` of `createIndexSql(field)`. */
export function dropIndexSql(field: string): string {
  return `DROP INDEX IF EXISTS ${indexName(field)}`;
}

/** The index definitions (without their names) of the current and the legacy index of `field`. */
export function indexDefinitionsSql(field: string): { sql: string; params: [string[]]; current: string; legacy: string } {
  const current = indexName(field).slice(1, -1);
  const legacy = legacyIndexName(field).slice(1, -1);
  return {
    current,
    legacy,
    sql: `SELECT c.relname AS name, regexp_replace(pg_get_indexdef(c.oid), '^CREATE INDEX ("[^"]*"|\\S+) ', '') AS definition
      FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
      WHERE i.indrelid = 'kalphite_entities'::regclass AND c.relname = ANY($1::text[])`,
    params: [[current, legacy]],
  };
}
