import type { ClientMutator } from "@kalphite/coordinator";
import { KalphiteError, type BaseEntity, type ChangeRecord } from "@kalphite/store";

/** What `toOperations` can read besides the batch. */
export interface KalphiteBatchContext {
  /** The synced entity `(type, id)` as it was before the batch (`undefined`: it did not exist). */
  previous(type: string, id: string): BaseEntity | undefined;
}

/** A named operation to send: `name(...args)`, run by the server's mutator of that name. */
export interface KalphiteOperation {
  readonly name: string;
  readonly args: readonly unknown[];
}

/** The two network protocols `createKalphite` can sync over. */
export type KalphiteSyncMode = "operations" | "entities";

/**
 * Network sync options of `createKalphite` (`options.sync`).
 *
 * - `"operations"` (layer 4b, `@kalphite/sync-ops`): named operations pushed
 *   over HTTP, state pulled by version, "pull now" notifications. Without
 *   `mutators`, plain store writes travel as the built-in `upsert<type>` /
 *   `delete<type>` operations; with `mutators`, `kalphite.mutate.<name>(...)`
 *   runs them speculatively and the server confirms or refuses them.
 * - `"entities"` (layer 4a, `@kalphite/sync-ws`): entity changes over one
 *   WebSocket, vector clocks, last write wins.
 */
export interface KalphiteSyncOptions<TMutators extends Record<string, ClientMutator> = Record<string, ClientMutator>> {
  /**
   * The server: `http://host:port` (a `kalphite-server`, or a
   * `createOperationSyncServer` / `createWebSocketSyncServer`). `ws://`
   * and `wss://` are accepted too. Operations go to `<url>/sync/operations`
   * (`<url>/rooms/<room>/…` with a `room`), entity sync to `ws://host:port/sync/ws`
   * (a `ws://…/path` URL is used as it is).
   */
  readonly url: string;
  /** @default "operations" */
  readonly mode?: KalphiteSyncMode | undefined;
  /** Operations mode: the named operations the server runs too (`(tx, ...args)`); `kalphite.mutate` is typed from them. */
  readonly mutators?: TMutators | undefined;
  /**
   * Operations mode without `mutators`: turns one local store batch (a
   * command's writes, already applied — the speculative effect) into the
   * named operations the server should run for it (`[{ name: "addTodo",
   * args: [{ … }] }]`). Until they are settled, pulls do not overwrite the
   * batch's entities; a refused one puts them back to the server's
   * versions. `context.previous(type, id)` is the entity as it was before
   * the batch. Return `undefined` (or `[]`) to send the batch as the
   * built-in `upsert<type>` / `delete<type>` operations instead.
   * @default undefined (always the built-in operations)
   */
  readonly toOperations?: ((changes: readonly ChangeRecord<BaseEntity>[], context: KalphiteBatchContext) => readonly KalphiteOperation[] | undefined) | undefined;
  /** Bearer token (`Authorization: Bearer`, the entity `auth` frame). @default none */
  readonly authToken?: string | undefined;
  /** The room. @default "default" (the server's default room) */
  readonly room?: string | undefined;
  /** The user id the server sees. @default "kalphite" */
  readonly userId?: string | undefined;
  /**
   * The entity types that sync; other types stay local (never sent, never
   * deleted by a full state). @default every type
   */
  readonly entityTypes?: readonly string[] | undefined;
  /**
   * Connect at start-up. Either way `createKalphite` never waits for the
   * server: it starts offline and goes online in the background.
   * @default true
   */
  readonly connect?: boolean | undefined;
  /** First reconnect / retry delay in ms (doubling, with jitter). @default 500 */
  readonly retryDelayMs?: number | undefined;
  /** Longest reconnect / retry delay in ms. @default 5000 */
  readonly maxRetryDelayMs?: number | undefined;
  /** Operations mode: periodic pull in ms, for missed notifications (0: off). @default 30000 */
  readonly pullIntervalMs?: number | undefined;
}

/** Defaults of `options.sync`. */
export const KALPHITE_SYNC_DEFAULTS = {
  mode: "operations",
  room: "default",
  userId: "kalphite",
  retryDelayMs: 500,
  maxRetryDelayMs: 5000,
  pullIntervalMs: 30_000,
} as const;

function invalid(message: string): KalphiteError<"INVALID_CONFIG"> {
  return new KalphiteError("INVALID_CONFIG", `createKalphite: ${message}`);
}

/** Checks `options.sync` (synchronously, before anything is opened). */
export function checkSyncOptions(sync: unknown): asserts sync is KalphiteSyncOptions {
  if (typeof sync !== "object" || sync === null) throw invalid("options.sync must be an object: { url, mode?, mutators?, authToken?, room? }");
  const s = sync as Record<string, unknown>;
  if (typeof s["url"] !== "string" || s["url"].trim() === "") throw invalid("options.sync.url must be the server's URL, e.g. http://127.0.0.1:8787");
  let parsed: URL;
  try {
    parsed = new URL(s["url"]);
  } catch {
    throw invalid(`options.sync.url is not a URL: ${JSON.stringify(s["url"])} (e.g. http://127.0.0.1:8787)`);
  }
  if (!["http:", "https:", "ws:", "wss:"].includes(parsed.protocol)) throw invalid(`options.sync.url must be http(s):// or ws(s)://, got ${JSON.stringify(s["url"])}`);
  if (s["mode"] !== undefined && s["mode"] !== "operations" && s["mode"] !== "entities") {
    throw invalid(`options.sync.mode must be "operations" or "entities", got ${JSON.stringify(s["mode"])}`);
  }
  if (s["mutators"] !== undefined) {
    if (s["mode"] === "entities") throw invalid("options.sync.mutators need mode \"operations\" (entity sync has no named operations)");
    if (typeof s["mutators"] !== "object" || s["mutators"] === null) throw invalid("options.sync.mutators must be an object of functions");
    for (const [name, fn] of Object.entries(s["mutators"])) if (typeof fn !== "function") throw invalid(`options.sync.mutators.${name} must be a function`);
  }
  if (s["toOperations"] !== undefined) {
    if (typeof s["toOperations"] !== "function") throw invalid("options.sync.toOperations must be a function (changes) => operations");
    if (s["mutators"] !== undefined) throw invalid("options.sync.toOperations and options.sync.mutators cannot be combined: with mutators, mutate.<name>() sends the operations");
    if (s["mode"] === "entities") throw invalid("options.sync.toOperations needs mode \"operations\"");
  }
  for (const key of ["authToken", "room", "userId"] as const) {
    if (s[key] !== undefined && (typeof s[key] !== "string" || s[key] === "")) throw invalid(`options.sync.${key} must be a non-empty string`);
  }
  if (s["entityTypes"] !== undefined && (!Array.isArray(s["entityTypes"]) || !s["entityTypes"].every((t) => typeof t === "string" && t !== ""))) {
    throw invalid("options.sync.entityTypes must be an array of type names");
  }
  if (s["connect"] !== undefined && typeof s["connect"] !== "boolean") throw invalid("options.sync.connect must be a boolean");
  for (const key of ["retryDelayMs", "maxRetryDelayMs", "pullIntervalMs"] as const) {
    const v = s[key];
    if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v) || v < 0)) throw invalid(`options.sync.${key} must be a number of milliseconds ≥ 0`);
  }
}

/** The endpoints `options.sync.url` and `room` lead to. */
export function syncEndpoints(url: string, room: string): { baseUrl: string; notificationUrl: string; wsUrl: string } {
  const u = new URL(url);
  const secure = u.protocol === "https:" || u.protocol === "wss:";
  const http = `${secure ? "https" : "http"}://${u.host}`;
  const ws = `${secure ? "wss" : "ws"}://${u.host}`;
  const prefix = u.pathname.replace(/\/+$/, "").replace(/\/sync\/ws$/, "");
  const roomPath = room === KALPHITE_SYNC_DEFAULTS.room ? "" : `/rooms/${encodeURIComponent(room)}`;
  const isWsPath = (u.protocol === "ws:" || u.protocol === "wss:") && u.pathname !== "/" && u.pathname !== "";
  return {
    baseUrl: `${http}${prefix}${roomPath}`,
    notificationUrl: `${ws}${prefix}${roomPath}/sync/notify`,
    wsUrl: isWsPath ? `${ws}${u.pathname}` : `${ws}${prefix}/sync/ws`,
  };
}
