import { NonRetriableError, type FlushChange } from "@kalphite/flush";
import { ValidationError, validateEntity, type Entity, type EntitySchema } from "@kalphite/store";
import type { EntityKey, MetaWrite, RowWrite } from "./entity-sql";
import { DatabaseError, DatabaseErrorCode } from "./errors";
import { UnstorableValue, encodeJson, encodeString, stringifyStored } from "./stored-json";

const keyOf = (type: string, id: string) => `${type}\u0000${id}`;

function invalidArgument(message: string): DatabaseError {
  return new DatabaseError(DatabaseErrorCode.InvalidArgument, message);
}

/** Throws unless `value` is a non-empty string. */
export function checkKeyPart(value: unknown, name: string, where: string): asserts value is string {
  if (typeof value !== "string" || value === "") throw invalidArgument(`${where}: ${name} must be a non-empty string, got ${JSON.stringify(value)}`);
}

/** Validates one entity (schema or `{ id, type }` shape) and checks it is `(type, id)` when those are given. */
function validate(schema: EntitySchema | undefined, input: unknown, type?: string, id?: string): Entity {
  const entity = validateEntity(schema, input, type) as Entity;
  if ((type !== undefined && entity.type !== type) || (id !== undefined && entity.id !== id)) {
    const field = type !== undefined && entity.type !== type ? "type" : "id";
    throw new ValidationError(type, id, [{ message: `the schema output has ${field} ${JSON.stringify(entity[field])}, not ${JSON.stringify(field === "type" ? type : id)}`, path: [field] }]);
  }
  return entity;
}

/**
 * `upsert(entityType, entityId, entity)`'s entity: a missing `id`/`type` is
 * filled in from the arguments, a different one is refused.
 * @throws ValidationError
 */
export function prepareOne(schema: EntitySchema | undefined, entityType: string, entityId: string, input: unknown): Entity {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return validate(schema, input, entityType, entityId); // throws, naming what it got
  }
  const given = input as { id?: unknown; type?: unknown };
  for (const [field, expected] of [["id", entityId], ["type", entityType]] as const) {
    if (given[field] !== undefined && given[field] !== expected) {
      throw new ValidationError(entityType, entityId, [{ message: `entity.${field} is ${JSON.stringify(given[field])} but the ${field === "id" ? "entityId" : "entityType"} argument is ${JSON.stringify(expected)}`, path: [field] }]);
    }
  }
  const value = given.id === entityId && given.type === entityType ? input : { ...input, id: entityId, type: entityType };
  return validate(schema, value, entityType, entityId);
}

/**
 * `upsertMany(entities)`: each entity names its own type and id; all are
 * validated before anything is written; a repeated `(type, id)` keeps its
 * first position and its last value.
 * @throws ValidationError
 */
export function prepareMany(schema: EntitySchema | undefined, inputs: Iterable<unknown>): Entity[] {
  if (inputs === null || typeof (inputs as Iterable<unknown> | undefined)?.[Symbol.iterator] !== "function") {
    throw invalidArgument("upsertMany(entities): entities must be an array or iterable of entities");
  }
  const entities: Entity[] = [];
  for (const input of inputs) entities.push(validate(schema, input));
  return dedupe(entities);
}

function dedupe(entities: Entity[]): Entity[] {
  const byKey = new Map<string, Entity>();
  for (const entity of entities) byKey.set(keyOf(entity.type, entity.id), entity);
  return byKey.size === entities.length ? entities : [...byKey.values()];
}

/** Why a change of a flush batch can never be stored. */
interface Refusal {
  readonly change: FlushChange;
  readonly reason: string;
}

function describeChange(change: Partial<FlushChange> | null): string {
  const type = typeof change?.entityType === "string" ? change.entityType : "entity";
  return typeof change?.entityId === "string" ? `${type} "${change.entityId}"` : type;
}

function refusedBatch(refusals: readonly Refusal[], cause: unknown): NonRetriableError {
  const shown = refusals.slice(0, 5).map((r) => `${describeChange(r.change)} (${r.reason})`);
  const more = refusals.length > shown.length ? `; and ${refusals.length - shown.length} more` : "";
  const what = refusals.length === 1 ? "a change" : `${refusals.length} changes`;
  return new NonRetriableError(`flush target: ${what} can never be stored: ${shown.join("; ")}${more}. Nothing of the batch was written.`, {
    cause,
    changes: refusals.map((r) => r.change),
  });
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The metadata part of a write: keys with a value are set, keys whose value is `undefined` are removed. */
export function prepareMeta(meta: unknown, where: string): MetaWrite | undefined {
  if (meta === undefined) return undefined;
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) throw invalidArgument(`${where}: meta must be an object of key → JSON value`);
  const set = Object.create(null) as Record<string, unknown>; // a "__proto__" key stays a key
  const deleteKeys: string[] = [];
  let any = false;
  for (const [key, value] of Object.entries(meta)) {
    if (value === undefined) {
      deleteKeys.push(encodeString(key));
      continue;
    }
    try {
      set[encodeString(key)] = encodeJson(value);
    } catch (error) {
      if (!(error instanceof UnstorableValue)) throw error;
      throw new ValidationError(undefined, undefined, [{ message: `meta ${JSON.stringify(key)}: ${error.message}`, path: error.path }]);
    }
    any = true;
  }
  if (!any && deleteKeys.length === 0) return undefined;
  return { setJson: any ? JSON.stringify(set) : undefined, deleteKeys };
}

/**
 * A flush batch: every change checked, upserts validated, each `(type, id)`
 * reduced to its last change, the entities and the metadata put in stored
 * form. A change that can never be stored (malformed, failing the schema,
 * holding a bigint or a lone surrogate) refuses the whole batch with a
 * `NonRetriableError` naming every such change (`changes`): the engine then
 * keeps those aside and delivers the rest. Metadata that cannot be stored
 * refuses the batch the same way, naming all its changes.
 * @throws NonRetriableError
 */
export function prepareChanges(schema: EntitySchema | undefined, changes: readonly FlushChange[], meta?: unknown): RowWrite {
  if (!Array.isArray(changes)) throw new NonRetriableError("flush target: changes must be an array of FlushChange");
  const refusals: Refusal[] = [];
  let cause: unknown;
  const refuse = (change: FlushChange, reason: string, error?: unknown) => {
    refusals.push({ change, reason });
    cause ??= error ?? new DatabaseError(DatabaseErrorCode.InvalidArgument, reason);
  };
  const last = new Map<string, FlushChange>();
  for (let i = 0; i < changes.length; i++) {
    const change = changes[i] as Partial<FlushChange> | null;
    if (typeof change !== "object" || change === null) {
      refuse(change as unknown as FlushChange, `change ${i} is not an object`);
      continue;
    }
    const { operation, entityType, entityId, entity } = change;
    if (operation !== "upsert" && operation !== "delete") {
      refuse(change as FlushChange, `change ${i} has operation ${JSON.stringify(operation)}`);
      continue;
    }
    if (typeof entityType !== "string" || entityType === "" || typeof entityId !== "string" || entityId === "") {
      refuse(change as FlushChange, `change ${i} needs a non-empty entityType and entityId`);
      continue;
    }
    if (operation === "upsert" && (typeof entity !== "object" || entity === null || entity.id !== entityId || entity.type !== entityType)) {
      refuse(change as FlushChange, "an upsert whose entity is missing or has another id/type");
      continue;
    }
    last.set(keyOf(entityType, entityId), change as FlushChange);
  }
  const upserts: Entity[] = [];
  const upsertChanges: FlushChange[] = [];
  const deletes: EntityKey[] = [];
  for (const change of last.values()) {
    if (change.operation === "delete") {
      deletes.push({ type: encodeString(change.entityType), id: encodeString(change.entityId) });
      continue;
    }
    try {
      upserts.push(validate(schema, change.entity, change.entityType, change.entityId));
      upsertChanges.push(change);
    } catch (error) {
      refuse(change, reasonOf(error), error);
    }
  }
  const entitiesJson = upserts.length === 0 ? undefined : stringifyStored(upserts, (i, error) => {
    refuse(upsertChanges[i]!, `${error.path.length > 0 ? `${error.path.map(String).join(".")}: ` : ""}${error.message}`, error);
  });
  let metaWrite: MetaWrite | undefined;
  try {
    metaWrite = prepareMeta(meta, "flush target");
  } catch (error) {
    for (const change of changes) refuse(change, `the batch's ${reasonOf(error)}`, error);
    if (changes.length === 0) throw new NonRetriableError(`flush target: the batch's meta can never be stored: ${reasonOf(error)}`, { cause: error });
  }
  if (refusals.length > 0) throw refusedBatch(refusals, cause);
  return { entitiesJson, deletes, meta: metaWrite };
}

/**
 * The stored-form JSON array of validated entities.
 * @throws ValidationError naming the first entity (and path) that cannot be stored
 */
export function storedEntitiesJson(entities: readonly Entity[]): string {
  return stringifyStored(entities, (i, error) => {
    const entity = entities[i]!;
    throw new ValidationError(entity.type, entity.id, [{ message: error.message, path: error.path }]);
  });
}
