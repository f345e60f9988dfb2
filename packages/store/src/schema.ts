import type { StandardSchemaV1 } from "@standard-schema/spec";
import { KalphiteError, StoreErrorCode, ValidationError, type ValidationIssue } from "./errors";
import type { BaseEntity } from "./types";

/** A Standard Schema whose output is an entity (Zod, Valibot, ArkType, …). */
export type EntitySchema<TEntity extends BaseEntity = BaseEntity> = StandardSchemaV1<unknown, TEntity>;

/** The entity type a schema produces. */
export type InferEntity<TSchema extends StandardSchemaV1> = StandardSchemaV1.InferOutput<TSchema> extends BaseEntity
  ? StandardSchemaV1.InferOutput<TSchema>
  : never;

/** Turns a Standard Schema path segment into a plain property key. */
function pathKey(segment: PropertyKey | StandardSchemaV1.PathSegment): PropertyKey {
  return typeof segment === "object" && segment !== null ? segment.key : segment;
}

function toIssues(issues: ReadonlyArray<StandardSchemaV1.Issue>): ValidationIssue[] {
  return issues.map((issue) => ({ message: issue.message, path: (issue.path ?? []).map(pathKey) }));
}

const describeId = (value: unknown): string | undefined => {
  const id = (value as { id?: unknown } | null)?.id;
  return typeof id === "string" ? id : undefined;
};

/**
 * Checks the shape every entity must have: a non-empty string `id` and `type`.
 * Used on its own when the store has no schema, and after the schema otherwise.
 */
export function checkEntityShape(value: unknown, fallbackType?: string): asserts value is BaseEntity {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ValidationError(fallbackType, undefined, [{ message: `expected an object, got ${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value}`, path: [] }]);
  }
  const { id, type } = value as { id?: unknown; type?: unknown };
  if (typeof id === "string" && id !== "" && typeof type === "string" && type !== "") return;
  const issues: ValidationIssue[] = [];
  if (typeof id !== "string" || id === "") issues.push({ message: "expected a non-empty string id", path: ["id"] });
  if (typeof type !== "string" || type === "") issues.push({ message: "expected a non-empty string type", path: ["type"] });
  throw new ValidationError(typeof type === "string" ? type : fallbackType, describeId(value), issues);
}

/**
 * Validates `value` with `schema` synchronously and returns the schema's output.
 * Throws `ValidationError` naming the entity and its failing paths, or a
 * `KalphiteError` with code `ASYNC_SCHEMA` when the schema returns a Promise.
 */
export function validateEntity<TEntity extends BaseEntity>(
  schema: EntitySchema<TEntity> | undefined,
  value: unknown,
  fallbackType?: string,
): TEntity {
  if (schema === undefined) {
    checkEntityShape(value, fallbackType);
    return value as TEntity;
  }
  const result = schema["~standard"].validate(value);
  if (result instanceof Promise) {
    // The promise is abandoned; keep its rejection from surfacing as unhandled.
    result.catch(() => undefined);
    throw new KalphiteError(
      StoreErrorCode.AsyncSchema,
      `The schema (vendor "${schema["~standard"].vendor}") validated asynchronously; Kalphite validates synchronously at the store boundary. Remove async refinements/transforms from the schema.`,
    );
  }
  if (result.issues) {
    const type = (value as { type?: unknown } | null)?.type;
    throw new ValidationError(typeof type === "string" ? type : fallbackType, describeId(value), toIssues(result.issues));
  }
  checkEntityShape(result.value, fallbackType);
  return result.value;
}

/** Throws unless `schema` looks like a Standard Schema (has `~standard.validate`). */
export function assertStandardSchema(schema: unknown): asserts schema is EntitySchema | undefined {
  if (schema === undefined) return;
  const standard = (schema as { "~standard"?: { validate?: unknown } } | null)?.["~standard"];
  if (typeof standard?.validate !== "function") {
    throw new KalphiteError(
      StoreErrorCode.InvalidArgument,
      "KalphiteStore(schema): the schema must implement Standard Schema (a `~standard.validate` function), such as a Zod, Valibot or ArkType schema.",
    );
  }
}
