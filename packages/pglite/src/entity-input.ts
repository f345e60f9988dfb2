import type { FlushChange } from "@kalphite/flush";
import { ValidationError, validateEntity, type Entity, type EntitySchema } from "@kalphite/store";
import type { EntityKey } from "./entity-sql";
import { DatabaseError, DatabaseErrorCode } from "./errors";

/** A write ready for `writeRows`: unique keys, validated entities. */
export interface PreparedWrite {
  /** The entities to upsert as one JSON array, or undefined when there are none. */
  readonly entitiesJson: string | undefined;
  readonly deletes: readonly EntityKey[];
}

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

/**
 * A flush batch: every change checked (a malformed one refuses the whole
 * batch), upserts validated, and each `(type, id)` reduced to its last change.
 * @throws DatabaseError `INVALID_ARGUMENT`, ValidationError
 */
export function prepareChanges(schema: EntitySchema | undefined, changes: readonly FlushChange[]): PreparedWrite {
  if (!Array.isArray(changes)) throw invalidArgument("flush target: changes must be an array of FlushChange");
  const last = new Map<string, FlushChange>();
  for (let i = 0; i < changes.length; i++) {
    const change = changes[i] as Partial<FlushChange> | null;
    const where = `flush target: change ${i}`;
    if (typeof change !== "object" || change === null) throw invalidArgument(`${where} is not an object; nothing was written`);
    const { operation, entityType, entityId, entity } = change;
    if (operation !== "upsert" && operation !== "delete") throw invalidArgument(`${where} has operation ${JSON.stringify(operation)}; nothing was written`);
    checkKeyPart(entityType, "entityType", where);
    checkKeyPart(entityId, "entityId", where);
    if (operation === "upsert" && (typeof entity !== "object" || entity === null || entity.id !== entityId || entity.type !== entityType)) {
      throw invalidArgument(`${where} is an upsert of ${entityType} "${entityId}" whose entity is missing or has another id/type; nothing was written`);
    }
    last.set(keyOf(entityType, entityId), change as FlushChange);
  }
  const upserts: Entity[] = [];
  const deletes: EntityKey[] = [];
  for (const change of last.values()) {
    if (change.operation === "delete") deletes.push({ type: change.entityType, id: change.entityId });
    else upserts.push(validate(schema, change.entity, change.entityType, change.entityId));
  }
  return { entitiesJson: upserts.length > 0 ? JSON.stringify(upserts) : undefined, deletes };
}

/** Bytes of `text` in UTF-8. */
export function utf8Length(text: string): number {
  const buffer = (globalThis as { Buffer?: { byteLength(text: string, encoding: "utf8"): number } }).Buffer;
  if (buffer !== undefined) return buffer.byteLength(text, "utf8");
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 2; // a surrogate pair: 4 bytes for 2 code units
      i++;
    } else if (c > 0x7ff) bytes += 2;
    else if (c > 0x7f) bytes += 1;
  }
  return bytes;
}
