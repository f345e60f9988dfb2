import { z } from "zod";

/**
 * A name the server stores (client ids, operation names, entity types, state
 * versions): well-formed Unicode without U+0000, which PostgreSQL text and
 * jsonb cannot hold. Refused at the edge with a 400, never a storage 500.
 */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const storable = { message: "must be well-formed Unicode without U+0000" };
const isStorable = (value: string) => !UNSTORABLE.test(value);
const storableName = (max: number) => z.string().min(1).max(max).refine(isStorable, storable);

/** Operation ids: positive safe integers. */
const operationId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** One operation on the wire. */
export const pendingOperationSchema = z.object({
  name: storableName(200),
  args: z.array(z.unknown()),
  id: operationId,
  clientId: storableName(200),
  timestamp: z.number().finite(),
});

/** Body of `POST /sync/operations`. */
export const pushRequestSchema = z.object({ operations: z.array(pendingOperationSchema) });

/** Body of `POST /sync/state`. */
export const stateRequestSchema = z.object({
  stateVersion: z.string().max(100).refine(isStorable, storable).optional(),
  entityTypes: z.array(storableName(200)).max(1000).optional(),
  lastSyncTimestamp: z.number().optional(),
  clientId: storableName(200).optional(),
  confirmedOperationId: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
});

const confirmationSchema = z.object({
  operationId: operationId,
  clientId: z.string(),
  success: z.boolean(),
  error: z.string().optional(),
  serverTimestamp: z.number(),
});

/** Answer of `POST /sync/operations`, checked by the client. */
export const pushResponseSchema = z.object({
  confirmations: z.array(confirmationSchema),
  gaps: z
    .array(z.object({ clientId: z.string(), expectedOperationId: z.number(), receivedOperationId: z.number() }))
    .optional(),
});

const entitySchema = z.looseObject({ id: z.string().min(1), type: z.string().min(1) });

/** Answer of `POST /sync/state`, checked by the client. */
export const stateResponseSchema = z.object({
  stateVersion: z.string(),
  entities: z.array(entitySchema),
  deletedEntityIds: z.array(z.string()).optional(),
  deleted: z.array(z.object({ entityType: z.string(), entityId: z.string() })).optional(),
  lastOperationIds: z.record(z.string(), z.number()).optional(),
  reset: z.boolean().optional(),
  failedOperations: z.array(z.object({ operationId: z.number(), error: z.string() })).optional(),
  syncTimestamp: z.number(),
});

/** A notification frame, checked by the client. */
export const notificationSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("state_changed"),
    payload: z.object({
      stateVersion: z.string(),
      affectedEntityTypes: z.array(z.string()),
      triggerClientId: z.string().optional(),
    }),
    timestamp: z.number(),
  }),
  z.object({ type: z.literal("operation_confirmed"), payload: confirmationSchema, timestamp: z.number() }),
  z.object({
    type: z.literal("client_connected"),
    payload: z.object({ clientId: z.string(), userId: z.string().optional() }),
    timestamp: z.number(),
  }),
  z.object({
    type: z.literal("client_disconnected"),
    payload: z.object({ clientId: z.string(), userId: z.string().optional() }),
    timestamp: z.number(),
  }),
]);

/** An error body: `{ error: { code, message } }`. */
export const errorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** A zod error as one readable line: `operations.0.id: Too small…; …`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join(".") : "body"}: ${issue.message}`)
    .join("; ");
}
