import type { FlushBatchContext, FlushChange } from "@kalphite/flush";
import { compareKeys, type BaseEntity, type Entity, type EntitySchema } from "@kalphite/store";
import { checkKeyPart, prepareChanges, prepareMany, prepareMeta, prepareOne, storedEntitiesJson } from "./entity-input";
import {
  countRows,
  deleteIds,
  selectAll,
  selectById,
  selectByType,
  selectMeta,
  selectWhere,
  writeRows,
  type Queryable,
  type WriteCheck,
  type WriteOutcome,
} from "./entity-sql";
import { DatabaseError, DatabaseErrorCode } from "./errors";
import { buildFindQuery, type FindOptions } from "./find-query";
import { toTargetError } from "./target-errors";

/** What `applyChanges` reads of a target call's context: `meta`, written with the batch. */
export type ApplyContext = Partial<FlushBatchContext>;

/**
 * The entity reads and writes, on the database and on a transaction handle
 * alike. Identity is `(entityType, entityId)`; reads return entities in
 * insertion order (an upsert keeps an entity's place, as in a store collection).
 */
export interface EntityOperations {
  /**
   * Inserts or replaces `(entityType, entityId)`. `entity.id`/`entity.type`
   * may be omitted (they are filled in) but must match when present.
   * @throws ValidationError (nothing written), QuotaExceededError
   */
  upsert(entityType: string, entityId: string, entity: object): Promise<void>;
  /**
   * Upserts every entity (each carries its `type` and `id`) in one SQL
   * statement: all or nothing; all are validated first. A repeated
   * `(type, id)` keeps its last value. Resolves to the number of distinct entities written.
   */
  upsertMany<T extends BaseEntity>(entities: Iterable<T>): Promise<number>;
  /** Deletes `(entityType, entityId)`; resolves to whether it existed. */
  delete(entityType: string, entityId: string): Promise<boolean>;
  /** Deletes these ids of one type in one SQL statement; resolves to how many existed. */
  deleteMany(entityType: string, ids: Iterable<string>): Promise<number>;
  /**
   * Applies a flush batch in one SQL statement (all or nothing): each
   * `(type, id)` ends in its last change, and `context.meta` (key → JSON
   * value; `undefined` removes the key) is written to the metadata table in
   * the same statement, so the entities and, say, a sync cursor become durable
   * together or not at all. This is what `createFlushTarget(db)` calls.
   *
   * A batch that can never be stored rejects with the flush engine's
   * `NonRetriableError` (nothing written): malformed changes, entities failing
   * the schema or holding a bigint or a lone surrogate (`changes` names them),
   * `QUOTA_EXCEEDED` and Postgres data errors (`cause` keeps the original).
   * Anything else (closed, not open yet, I/O) rejects as it is: retriable.
   */
  applyChanges(changes: readonly FlushChange[], context?: ApplyContext): Promise<void>;
  /** The metadata value of `key` (as written by a batch's `meta` or `setMeta`), or undefined. */
  getMeta<T = unknown>(key: string): Promise<T | undefined>;
  /**
   * Writes one metadata key (a JSON value, stored like entities: any string
   * round-trips); `undefined` removes it. Not counted against `maxStorageMB`.
   * @throws ValidationError for a value that cannot be stored
   */
  setMeta(key: string, value: unknown): Promise<void>;
  /** The entity `(entityType, entityId)`, or undefined. */
  getById<T extends BaseEntity = Entity>(entityType: string, entityId: string): Promise<T | undefined>;
  /** Every entity of one type, in insertion order. */
  getByType<T extends BaseEntity = Entity>(entityType: string): Promise<T[]>;
  /** Every entity of every type, in insertion order. */
  getAll<T extends BaseEntity = Entity>(): Promise<T[]>;
  /** How many entities there are, of `entityType` or in all. */
  count(entityType?: string): Promise<number>;
  /**
   * The entities of a type that pass `filter`, sorted by `orderBy` (a field
   * or a key function; `null`/`undefined` keys last, ties in insertion order).
   * Filtering runs in JavaScript over every entity of the type; use `find()`
   * to filter, sort and limit in SQL.
   * @param direction @default "asc"
   */
  query<T = Entity>(entityType: string, filter?: (entity: T) => boolean, orderBy?: keyof T | ((entity: T) => unknown), direction?: "asc" | "desc"): Promise<T[]>;
  /**
   * Filters, sorts and pages in SQL (see `FindOptions`); indexes made with
   * `createIndex(field)` serve it. Matches `query()` with the same conditions.
   * @throws DatabaseError `INVALID_QUERY` for a field or value that cannot be compiled safely
   */
  find<T extends BaseEntity = Entity>(entityType: string, options?: FindOptions): Promise<T[]>;
}

/** A write about to run: whether it can grow the stored data (then the quota checks it) and the SQL that runs it. */
export interface WritePlan {
  readonly grows: boolean;
  run(q: Queryable, check: WriteCheck): Promise<WriteOutcome>;
}

/** Where `EntityMethods` run their SQL: the database (locks, quota) or a transaction. */
export interface EntityHost {
  readonly schema: EntitySchema | undefined;
  /** Whether writes must report their size change (a quota is set). */
  readonly measure: boolean;
  /** Checks the handle is usable, then runs `fn`. `what` names the operation in errors. */
  read<T>(what: string, fn: (q: Queryable) => Promise<T>): Promise<T>;
  /** Checks the handle is usable, makes the plan (validation), runs it with the quota's check. */
  write(what: string, plan: () => WritePlan): Promise<WriteOutcome>;
}

function sortBy<T>(items: T[], orderBy: keyof T | ((entity: T) => unknown), direction: "asc" | "desc"): T[] {
  if (direction !== "asc" && direction !== "desc") {
    throw new DatabaseError(DatabaseErrorCode.InvalidArgument, `query(): direction must be "asc" or "desc", got ${JSON.stringify(direction)}`);
  }
  const select = typeof orderBy === "function" ? orderBy : (entity: T) => entity[orderBy];
  const sign = direction === "desc" ? -1 : 1;
  const decorated = items.map((entity, index) => ({ entity, key: select(entity), index }));
  decorated.sort((a, b) => sign * compareKeys(a.key, b.key) || a.index - b.index);
  return decorated.map((d) => d.entity);
}

/** `EntityOperations` over a host. */
export class EntityMethods implements EntityOperations {
  readonly #host: EntityHost;

  constructor(host: EntityHost) {
    this.#host = host;
  }

  async upsert(entityType: string, entityId: string, entity: object): Promise<void> {
    await this.#host.write("upsert", () => {
      checkKeyPart(entityType, "entityType", "upsert()");
      checkKeyPart(entityId, "entityId", "upsert()");
      const entitiesJson = storedEntitiesJson([prepareOne(this.#host.schema, entityType, entityId, entity)]);
      return { grows: true, run: (q, check) => writeRows(q, { entitiesJson, deletes: [] }, check) };
    });
  }

  async upsertMany<T extends BaseEntity>(entities: Iterable<T>): Promise<number> {
    const outcome = await this.#host.write("upsertMany", () => {
      const prepared = prepareMany(this.#host.schema, entities);
      const entitiesJson = prepared.length > 0 ? storedEntitiesJson(prepared) : undefined;
      return { grows: true, run: (q, check) => writeRows(q, { entitiesJson, deletes: [] }, check) };
    });
    return outcome.upserted;
  }

  async delete(entityType: string, entityId: string): Promise<boolean> {
    const outcome = await this.#host.write("delete", () => {
      checkKeyPart(entityType, "entityType", "delete()");
      checkKeyPart(entityId, "entityId", "delete()");
      return { grows: false, run: (q, check) => deleteIds(q, entityType, [entityId], check.measure) };
    });
    return outcome.deleted > 0;
  }

  async deleteMany(entityType: string, ids: Iterable<string>): Promise<number> {
    const outcome = await this.#host.write("deleteMany", () => {
      checkKeyPart(entityType, "entityType", "deleteMany()");
      if (ids === null || typeof (ids as Iterable<string> | undefined)?.[Symbol.iterator] !== "function") {
        throw new DatabaseError(DatabaseErrorCode.InvalidArgument, "deleteMany(entityType, ids): ids must be an array or iterable of strings");
      }
      const list = [...new Set(ids)];
      for (const id of list) checkKeyPart(id, "every id", "deleteMany()");
      return { grows: false, run: (q, check) => (list.length > 0 ? deleteIds(q, entityType, list, check.measure) : Promise.resolve({ upserted: 0, deleted: 0, sizeDelta: 0 })) };
    });
    return outcome.deleted;
  }

  async applyChanges(changes: readonly FlushChange[], context?: ApplyContext): Promise<void> {
    try {
      await this.#host.write("flush batch", () => {
        const write = prepareChanges(this.#host.schema, changes, context?.meta);
        return { grows: write.entitiesJson !== undefined, run: (q, check) => writeRows(q, write, check) };
      });
    } catch (error) {
      throw toTargetError(error, Array.isArray(changes) ? changes : []);
    }
  }

  getMeta<T = unknown>(key: string): Promise<T | undefined> {
    return this.#host.read("getMeta", (q) => {
      if (typeof key !== "string") throw new DatabaseError(DatabaseErrorCode.InvalidArgument, `getMeta(key): key must be a string, got ${typeof key}`);
      return selectMeta(q, key) as Promise<T | undefined>;
    });
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    await this.#host.write("setMeta", () => {
      if (typeof key !== "string") throw new DatabaseError(DatabaseErrorCode.InvalidArgument, `setMeta(key, value): key must be a string, got ${typeof key}`);
      const meta = prepareMeta({ [key]: value }, "setMeta()");
      return { grows: false, run: (q, check) => writeRows(q, { entitiesJson: undefined, deletes: [], meta }, check) };
    });
  }

  getById<T extends BaseEntity = Entity>(entityType: string, entityId: string): Promise<T | undefined> {
    return this.#host.read("getById", (q) => {
      checkKeyPart(entityType, "entityType", "getById()");
      checkKeyPart(entityId, "entityId", "getById()");
      return selectById<T>(q, entityType, entityId);
    });
  }

  getByType<T extends BaseEntity = Entity>(entityType: string): Promise<T[]> {
    return this.#host.read("getByType", (q) => {
      checkKeyPart(entityType, "entityType", "getByType()");
      return selectByType<T>(q, entityType);
    });
  }

  getAll<T extends BaseEntity = Entity>(): Promise<T[]> {
    return this.#host.read("getAll", (q) => selectAll<T>(q));
  }

  count(entityType?: string): Promise<number> {
    return this.#host.read("count", (q) => {
      if (entityType !== undefined) checkKeyPart(entityType, "entityType", "count()");
      return countRows(q, entityType);
    });
  }

  async query<T = Entity>(entityType: string, filter?: (entity: T) => boolean, orderBy?: keyof T | ((entity: T) => unknown), direction: "asc" | "desc" = "asc"): Promise<T[]> {
    if (filter !== undefined && typeof filter !== "function") {
      throw new DatabaseError(DatabaseErrorCode.InvalidArgument, "query(entityType, filter, orderBy): filter must be a function (use find() for SQL conditions)");
    }
    const all = (await this.getByType(entityType)) as unknown as T[];
    const matching = filter === undefined ? all : all.filter((entity) => filter(entity));
    return orderBy === undefined ? matching : sortBy(matching, orderBy, direction);
  }

  find<T extends BaseEntity = Entity>(entityType: string, options?: FindOptions): Promise<T[]> {
    return this.#host.read("find", (q) => {
      checkKeyPart(entityType, "entityType", "find()");
      const { sql, params } = buildFindQuery(entityType, options);
      return selectWhere<T>(q, sql, params);
    });
  }
}
