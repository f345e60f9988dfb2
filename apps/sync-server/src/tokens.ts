import { readFileSync } from "node:fs";
import { z } from "zod";
import { ServerError, ServerErrorCode, messageOf } from "./errors";

/** What one token grants. */
export interface Grant {
  /** The only user id the token may act as; `undefined`: any. */
  readonly user: string | undefined;
  /** The rooms it may use; `"*"`: every room. */
  readonly rooms: "*" | ReadonlySet<string>;
}

const name = z.string().min(1).max(512);
const entrySchema = z.strictObject({
  user: name.optional(),
  rooms: z.array(name).min(1, "list at least one room (or \"*\" for every room)"),
});
/** The tokens file: `{ "<token>": { "user": "ada", "rooms": ["team"] }, … }`. */
export const tokensFileSchema = z.record(z.string().min(1, "a token must not be empty"), entrySchema);

/**
 * Reads a tokens file (JSON): each key is a token, each value
 * `{ user?: string, rooms: string[] }` (`"*"` in `rooms` grants every room;
 * without `user` the token may act as any user id).
 * @throws ServerError `INVALID_TOKENS_FILE` naming the file and the bad entry
 */
export function readTokensFile(path: string): Map<string, Grant> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ServerError(ServerErrorCode.InvalidTokensFile, `--tokens ${path}: ${messageOf(error)}`, { cause: error });
  }
  const parsed = tokensFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.map(String).join(".")}` : "";
    throw new ServerError(ServerErrorCode.InvalidTokensFile, `--tokens ${path}${where}: ${issue?.message ?? "invalid"} (expected { "<token>": { "user": "ada", "rooms": ["team"] } })`);
  }
  const grants = new Map<string, Grant>();
  for (const [token, entry] of Object.entries(parsed.data)) {
    grants.set(token, { user: entry.user, rooms: entry.rooms.includes("*") ? "*" : new Set(entry.rooms) });
  }
  return grants;
}

/** The outcome of a check: `ok`, or why not (for the log; clients only learn "refused"). */
export type AccessResult = { ok: true; user: string | undefined } | { ok: false; reason: string };

/** Decides who may use which room. */
export interface AccessControl {
  /** `false` when no token is configured: everyone is let in. */
  readonly enabled: boolean;
  /** Whether `token` may use `room` (as `userId`, when the client names one). */
  check(token: string | undefined, room: string, userId?: string): AccessResult;
}

/** Access from `--token` (any user, any room) and a tokens file's grants. */
export function createAccessControl(token: string | undefined, grants: ReadonlyMap<string, Grant> = new Map()): AccessControl {
  const all = new Map(grants);
  if (token !== undefined) all.set(token, { user: undefined, rooms: "*" });
  return {
    enabled: all.size > 0,
    check(given, room, userId) {
      if (all.size === 0) return { ok: true, user: userId };
      if (given === undefined || given === "") return { ok: false, reason: "missing token" };
      const grant = all.get(given);
      if (!grant) return { ok: false, reason: "unknown token" };
      if (grant.rooms !== "*" && !grant.rooms.has(room)) return { ok: false, reason: `token not valid for room ${JSON.stringify(room)}` };
      if (grant.user !== undefined && userId !== undefined && userId !== grant.user) return { ok: false, reason: `token belongs to user ${JSON.stringify(grant.user)}, not ${JSON.stringify(userId)}` };
      return { ok: true, user: grant.user ?? userId };
    },
  };
}
