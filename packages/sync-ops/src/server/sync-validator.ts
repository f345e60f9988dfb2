import type { IncomingMessage, ServerResponse } from "node:http";
import { SyncOpsErrorCode } from "../errors";
import type { PendingOperation, Result, SyncValidator, ValidatedEntity, ValidatedOperation } from "../types";
import { describeZodError, pendingOperationSchema, pushRequestSchema } from "../wire";
import { toStorableJson } from "../json-data";
import { schemaFor, type ServerSchema } from "./entity-check";
import { HttpRefusal, readJsonBody, sendError } from "./http-io";

/** Options of `createSyncValidator`. */
export interface SyncValidatorOptions<TSchema extends ServerSchema | undefined> {
  /** Validates entities (`validateStateData`). */
  schema?: TSchema;
  /** The known operation names; when given, other names are refused (besides the built-ins). */
  operations?: readonly string[];
  /** Accept `upsert<Type>` / `delete<Type>` names. @default true */
  builtinOperations?: boolean;
  /** Body limit of the middleware when it reads the body itself. @default 1_048_576 */
  maxBodyBytes?: number;
}

const isBuiltin = (name: string) => /^(upsert|delete).+$/.test(name);

/**
 * Framework-agnostic validation of the sync protocol: operations, entities and
 * a `(req, res, next)` middleware that checks a push body (`req.body` when a
 * body parser ran, the request stream otherwise), answers 400/413 with
 * `{ error: { code, message } }`, or sets `req.body` and calls `next()`.
 */
export function createSyncValidator<TSchema extends ServerSchema | undefined = undefined>(
  options: SyncValidatorOptions<TSchema> = {},
): SyncValidator<TSchema> {
  const schema = options.schema as TSchema;
  const names = options.operations ? new Set(options.operations) : undefined;
  const builtins = options.builtinOperations ?? true;
  const limit = options.maxBodyBytes ?? 1_048_576;

  const nameError = (name: string): string | undefined =>
    names === undefined || names.has(name) || (builtins && isBuiltin(name)) ? undefined : `Unknown operation ${JSON.stringify(name)}`;

  const validateOperation = (raw: unknown): Result<ValidatedOperation<TSchema>> => {
    const full = pendingOperationSchema.safeParse(raw);
    const shape = full.success ? full : pendingOperationSchema.pick({ name: true, args: true }).safeParse(raw);
    if (!shape.success) return { success: false, error: describeZodError(shape.error) };
    const { name, args } = shape.data;
    const unknownName = nameError(name);
    if (unknownName) return { success: false, error: unknownName };
    try {
      toStorableJson(args, `operation ${JSON.stringify(name)}: args`);
    } catch (error) {
      return { success: false, error: (error as Error).message };
    }
    const data: ValidatedOperation<TSchema> = { name, args, schema, isValid: true };
    if (full.success) data.operation = full.data as PendingOperation;
    return { success: true, data };
  };

  const validateStateData = (raw: unknown): Result<ValidatedEntity<TSchema>> => {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { success: false, error: "expected an entity object" };
    const { id, type } = raw as { id?: unknown; type?: unknown };
    if (typeof id !== "string" || id === "") return { success: false, error: "id: expected a non-empty string" };
    if (typeof type !== "string" || type === "") return { success: false, error: "type: expected a non-empty string" };
    const entitySchema = schemaFor(schema, type);
    if (entitySchema === null) return { success: false, error: `no schema for entity type ${JSON.stringify(type)}` };
    let data: unknown = raw;
    if (entitySchema !== undefined) {
      const result = entitySchema["~standard"].validate(raw);
      if (result instanceof Promise) {
        result.catch(() => undefined);
        return { success: false, error: "the schema validated asynchronously; validateStateData is synchronous" };
      }
      if (result.issues) {
        return {
          success: false,
          error: result.issues
            .map((issue) => {
              const path = (issue.path ?? []).map((p) => (typeof p === "object" && p !== null ? String(p.key) : String(p)));
              return path.length ? `${path.join(".")}: ${issue.message}` : issue.message;
            })
            .join("; "),
        };
      }
      data = result.value;
    }
    return { success: true, data: { id, type, data, schema, isValid: true } };
  };

  const check = (body: unknown): Result<{ operations: PendingOperation[] }> => {
    const parsed = pushRequestSchema.safeParse(body);
    if (!parsed.success) return { success: false, error: describeZodError(parsed.error) };
    for (const [i, op] of parsed.data.operations.entries()) {
      const result = validateOperation(op);
      if (!result.success) return { success: false, error: `operations.${i}: ${result.error}` };
    }
    return { success: true, data: parsed.data as { operations: PendingOperation[] } };
  };

  const createMiddleware = () => (req: any, res: any, next: any) => {
    const finish = (body: unknown) => {
      const result = check(body);
      if (!result.success) {
        sendError(res as ServerResponse, new HttpRefusal(SyncOpsErrorCode.BadRequest, result.error));
        return;
      }
      req.body = result.data;
      next();
    };
    if (req.body !== undefined) {
      finish(req.body);
      return;
    }
    readJsonBody(req as IncomingMessage, limit).then(finish, (error: unknown) => {
      if (error instanceof HttpRefusal) sendError(res as ServerResponse, error);
      else next(error);
    });
  };

  return { validateOperation, validateStateData, createMiddleware };
}
