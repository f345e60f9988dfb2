import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { Entity } from "@kalphite/store";
import { toStorableJson } from "../json-data";

/**
 * What validates the entities mutators write: one Standard Schema for every
 * entity (e.g. a discriminated union on `type`), or one per entity type (then
 * a type without a schema is refused).
 */
export type ServerSchema = StandardSchemaV1 | Readonly<Record<string, StandardSchemaV1>>;

const isStandard = (value: unknown): value is StandardSchemaV1 =>
  typeof (value as { "~standard"?: { validate?: unknown } } | null)?.["~standard"]?.validate === "function";

/** Whether `schema` is usable as a `ServerSchema`. */
export function isServerSchema(schema: unknown): schema is ServerSchema {
  if (isStandard(schema)) return true;
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return false;
  return Object.values(schema).every(isStandard);
}

/** The schema for `type`, `null` when a per-type record has none, `undefined` when there is no schema at all. */
export function schemaFor(schema: ServerSchema | undefined, type: string): StandardSchemaV1 | null | undefined {
  if (schema === undefined) return undefined;
  if (isStandard(schema)) return schema;
  return Object.prototype.hasOwnProperty.call(schema, type) ? (schema[type] ?? null) : null;
}

/**
 * Validates an entity a mutator writes as `(type, id)`: fills in missing
 * `id`/`type`, refuses a mismatch, runs the schema (sync or async), and checks
 * the result is storable JSON. Returns the entity to store.
 */
export async function checkEntity(schema: ServerSchema | undefined, type: string, id: string, entity: unknown): Promise<Entity> {
  if (typeof type !== "string" || type === "") throw new Error(`upsert: the entity type must be a non-empty string`);
  if (typeof id !== "string" || id === "") throw new Error(`upsert(${JSON.stringify(type)}): the entity id must be a non-empty string`);
  const label = `${type} ${JSON.stringify(id)}`;
  if (typeof entity !== "object" || entity === null || Array.isArray(entity)) {
    throw new Error(`Invalid ${label}: expected an object, got ${entity === null ? "null" : Array.isArray(entity) ? "an array" : typeof entity}`);
  }
  const record = entity as Record<string, unknown>;
  if (record.id !== undefined && record.id !== id) throw new Error(`Invalid ${label}: its id is ${JSON.stringify(record.id)}`);
  if (record.type !== undefined && record.type !== type) throw new Error(`Invalid ${label}: its type is ${JSON.stringify(record.type)}`);
  let value: unknown = { ...record, id, type };
  const entitySchema = schemaFor(schema, type);
  if (entitySchema === null) throw new Error(`Invalid ${label}: the server has no schema for entity type ${JSON.stringify(type)}`);
  if (entitySchema !== undefined) {
    const result = await entitySchema["~standard"].validate(value);
    if (result.issues) {
      const detail = result.issues
        .map((issue) => {
          const path = (issue.path ?? []).map((p) => (typeof p === "object" && p !== null ? String(p.key) : String(p)));
          return path.length ? `${path.join(".")}: ${issue.message}` : issue.message;
        })
        .join("; ");
      throw new Error(`Invalid ${label}: ${detail}`);
    }
    value = result.value;
    const out = value as { id?: unknown; type?: unknown } | null;
    if (out?.id !== id || out.type !== type) throw new Error(`Invalid ${label}: the schema's output changed its id or type`);
  }
  return toStorableJson(value, `Invalid ${label}`) as Entity;
}
