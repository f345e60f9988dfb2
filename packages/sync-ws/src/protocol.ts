import { z } from "zod";

/**
 * The wire protocol, version 1: every frame is one JSON text message, checked
 * against these schemas on arrival at either end. See the README for the
 * sequence of frames and the close codes.
 */
export const PROTOCOL_VERSION = 1;

const id = z.string().min(1).max(512);
const vector = z.record(z.string().min(1).max(512), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER));
const stamp = z.object({ t: z.number().finite(), r: z.string().max(512) });
/**
 * An entity: a JSON object with a non-empty string `id` and `type`. Checked
 * without copying (entities are the bulk of every frame); the server checks
 * that they agree with `entityId`/`entityType`.
 */
const entity = z.custom<{ id: string; type: string; [field: string]: unknown }>(
  (value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
    const { id, type } = value as Record<string, unknown>;
    return typeof id === "string" && id !== "" && typeof type === "string" && type !== "";
  },
  { message: "an entity must be an object with a non-empty string id and type" },
);

/** `payload` of a `change` frame. */
export const changePayloadSchema = z.object({
  operation: z.enum(["upsert", "delete"]),
  entityType: id,
  entityId: id,
  entity: entity.optional(),
  vector,
  stamp: stamp.optional(),
  fields: z.record(z.string(), stamp).optional(),
});

/** client → server: join a room. The first frame of a connection. */
export const authFrameSchema = z.object({
  type: z.literal("auth"),
  roomId: id,
  userId: id,
  clientId: id,
  token: z.string().max(16_384).optional(),
  /** The last server sequence this replica saw in the room; the server sends what changed after it. */
  since: z.number().int().nonnegative().optional(),
  /** The room epoch `since` belongs to (from `ready`); another epoch means "send everything". */
  epoch: z.string().max(512).optional(),
  /** The client's heartbeat interval, ms: the server declares it dead after two of them without a frame. */
  heartbeatInterval: z.number().int().positive().max(3_600_000).optional(),
  protocol: z.number().int().optional(),
});

/** client → server: one entity change (the specification's `ChangeMessage`). */
export const changeFrameSchema = z.object({
  type: z.literal("change"),
  messageId: id,
  timestamp: z.number().finite(),
  userId: z.string().max(512),
  payload: changePayloadSchema,
});

/** either way: I am alive. */
export const heartbeatFrameSchema = z.looseObject({ type: z.literal("heartbeat"), timestamp: z.number().optional() });

/** client → server: the legacy frame of the sync evolution document. */
export const legacyChangeFrameSchema = z.object({
  type: z.literal("sync-change"),
  data: z.object({
    type: z.enum(["upsert", "delete"]),
    entityType: id,
    entityId: id,
    entity: entity.optional(),
    messageId: id.optional(),
  }),
});

/** Any frame a client may send. */
export const clientFrameSchema = z.discriminatedUnion("type", [authFrameSchema, changeFrameSchema, heartbeatFrameSchema, legacyChangeFrameSchema]);

/** A change as the server relays it: the (merged) version now stored, who caused it and its sequence. */
export const serverChangeSchema = z.object({
  type: z.literal("change"),
  messageId: id,
  timestamp: z.number().finite(),
  userId: z.string(),
  clientId: z.string(),
  seq: z.number().int().nonnegative(),
  payload: changePayloadSchema,
});

/** server → client: part of the catch-up after `auth` (changes after `since`, oldest first). */
export const catchUpFrameSchema = z.object({
  type: z.literal("catch-up"),
  changes: z.array(serverChangeSchema.omit({ type: true })),
});

/** server → client: catch-up is complete; the connection is live. */
export const readyFrameSchema = z.object({
  type: z.literal("ready"),
  roomId: z.string(),
  clientId: z.string(),
  seq: z.number().int().nonnegative(),
  /** Names the room's sequence; a client keeps it with its cursor. */
  epoch: z.string(),
  maxPayloadBytes: z.number().int().positive(),
  heartbeatInterval: z.number().int().positive(),
  timestamp: z.number(),
});

/** server → client: a change is stored (or was already). */
export const ackFrameSchema = z.object({
  type: z.literal("ack"),
  messageId: id,
  timestamp: z.number(),
  userId: z.string(),
  payload: z.object({ seq: z.number().int().nonnegative(), outcome: z.enum(["applied", "merged", "duplicate", "stale"]) }),
});

/** server → client: something was wrong (`code` from `WireErrorCode`). */
export const errorFrameSchema = z.object({
  type: z.literal("error"),
  code: z.string(),
  message: z.string(),
  messageId: z.string().optional(),
  retryAfterMs: z.number().nonnegative().optional(),
});

/** Any frame a server may send. */
export const serverFrameSchema = z.discriminatedUnion("type", [serverChangeSchema, catchUpFrameSchema, readyFrameSchema, ackFrameSchema, heartbeatFrameSchema, errorFrameSchema]);

export type ChangePayload = z.infer<typeof changePayloadSchema>;
export type AuthFrame = z.infer<typeof authFrameSchema>;
export type ChangeFrame = z.infer<typeof changeFrameSchema>;
export type LegacyChangeFrame = z.infer<typeof legacyChangeFrameSchema>;
export type ClientFrame = z.infer<typeof clientFrameSchema>;
export type ServerChange = z.infer<typeof serverChangeSchema>;
export type ServerFrame = z.infer<typeof serverFrameSchema>;
export type AckOutcome = z.infer<typeof ackFrameSchema>["payload"]["outcome"];

/** The result of reading a frame: the parsed frame or what was wrong with it. */
export type Decoded<T> = { ok: true; frame: T } | { ok: false; message: string };

/** Parses a text frame with `schema`; the message names each failing path. */
export function decodeFrame<T>(schema: z.ZodType<T>, data: unknown): Decoded<T> {
  let text: string;
  if (typeof data === "string") text = data;
  else if (data instanceof ArrayBuffer) text = new TextDecoder().decode(data);
  else if (ArrayBuffer.isView(data)) text = new TextDecoder().decode(data as Uint8Array);
  else if (Array.isArray(data) && data.every((d) => ArrayBuffer.isView(d))) text = Buffer.concat(data as Uint8Array[]).toString("utf8");
  else return { ok: false, message: "a frame must be a JSON text message" };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `not JSON: ${(error as Error).message}` };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, frame: result.data };
  return { ok: false, message: describeIssues(result.error.issues) };
}

/** "payload.entityId: Invalid input: expected string, received number; …" */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join(".") : "frame"}: ${issue.message}`)
    .join("; ");
}
