import type { IncomingMessage } from "node:http";
import type { Entity } from "@kalphite/store";
import type { WebSocket } from "ws";
import { CloseCode, SyncError, WireErrorCode, describeError } from "../errors";
import {
  clientFrameSchema,
  decodeFrame,
  type AckOutcome,
  type AuthFrame,
  type ClientFrame,
} from "../protocol";
import type { SyncTimers } from "../types";
import { versionFromPayload } from "../wire-version";
import { TokenBucket, type RateLimit } from "./rate-limit";
import type { IncomingChange, Room, RoomMember } from "./room";
import type { ResolvedServerOptions } from "./server-options";

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly options: ResolvedServerOptions;
  readonly timers: SyncTimers;
  /** Whether `close()` was called. */
  readonly closing: boolean;
  room(roomId: string): Promise<Room>;
  forget(connection: ServerConnection): void;
}

/** Catch-up frames carry at most this many changes each. */
const CATCH_UP_CHUNK = 500;
const OPEN = 1;
/** Bytes queued for one client beyond which it is disconnected (1013) instead of buffered without bound. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** How long a connection closed for silence gets to finish the close handshake before its socket is dropped, ms. */
const TERMINATE_AFTER_MS = 1_000;

/**
 * One client connection on the server.
 *
 *   awaiting-auth ──auth frame / query──▶ authenticating ──accepted──▶ open
 *        │  (change without auth, no authenticate option: implicit join) ▲
 *        │                                    │ refused: close 4001      │
 *        └──── timeout 4008 / change before auth 4002 / socket closed ──▶ closed ◀── heartbeat timeout 4009, socket closed
 */
type ConnectionState = "awaiting-auth" | "authenticating" | "open" | "closed";

export class ServerConnection implements RoomMember {
  readonly #ws: WebSocket;
  readonly #host: ConnectionHost;
  readonly #request: IncomingMessage;
  readonly #bucket: TokenBucket | undefined;
  #state: ConnectionState = "awaiting-auth";
  #room: Room | undefined;
  #userId = "anonymous";
  #clientId = "";
  #heartbeatInterval: number;
  #authTimer: unknown;
  #livenessTimer: unknown;
  #lastFrameAt = 0;
  readonly #backlog: ClientFrame[] = [];

  constructor(ws: WebSocket, request: IncomingMessage, host: ConnectionHost) {
    this.#ws = ws;
    this.#host = host;
    this.#request = request;
    const { rateLimit, heartbeatInterval, authTimeoutMs } = host.options;
    this.#bucket = rateLimit === false ? undefined : new TokenBucket(rateLimit, () => host.timers.now());
    this.#heartbeatInterval = heartbeatInterval;
    ws.on("message", (data, isBinary) => this.#onMessage(isBinary ? data : data.toString("utf8")));
    ws.on("close", () => this.#transition("closed"));
    ws.on("error", (error) => host.options.onError(error));
    this.#authTimer = host.timers.setTimeout(() => this.#close(CloseCode.AuthTimeout, "no auth frame in time"), authTimeoutMs);
    // Credentials in the URL (or an Authorization header) authenticate at once, for clients that send no auth frame.
    const query = new URL(request.url ?? "/", "ws://localhost").searchParams;
    const roomId = query.get("roomId") ?? (query.has("userId") || query.has("token") || request.headers.authorization !== undefined ? "default" : null);
    if (roomId !== null) {
      const sinceText = query.get("since");
      const since = sinceText === null ? undefined : Number(sinceText);
      const frame = clientFrameSchema.safeParse({
        type: "auth",
        roomId,
        userId: query.get("userId") ?? "anonymous",
        clientId: query.get("clientId") ?? globalThis.crypto.randomUUID(),
        ...(this.#token(query) === undefined ? {} : { token: this.#token(query) }),
        ...(since === undefined ? {} : { since }),
      });
      if (frame.success && frame.data.type === "auth") void this.#authenticate(frame.data);
      else this.#close(CloseCode.BadAuth, "bad auth query parameters");
    }
  }

  /** The room it joined, once open. */
  get roomId(): string | undefined {
    return this.#room?.id;
  }

  #token(query: URLSearchParams): string | undefined {
    const fromQuery = query.get("token");
    if (fromQuery !== null) return fromQuery;
    const header = this.#request.headers.authorization;
    return header?.startsWith("Bearer ") ? header.slice("Bearer ".length) : undefined;
  }

  /** The one place the state changes. */
  #transition(next: ConnectionState): void {
    if (this.#state === "closed") return;
    this.#state = next;
    if (next === "open" || next === "closed") {
      this.#clearTimer("auth");
    }
    if (next === "closed") {
      this.#clearTimer("liveness");
      this.#room?.members.delete(this);
      this.#host.forget(this);
    }
    if (next === "open") this.#armLiveness();
  }

  #clearTimer(which: "auth" | "liveness"): void {
    const handle = which === "auth" ? this.#authTimer : this.#livenessTimer;
    if (handle !== undefined) this.#host.timers.clearTimeout(handle);
    if (which === "auth") this.#authTimer = undefined;
    else this.#livenessTimer = undefined;
  }

  /** Closes the connection two heartbeat intervals after its last frame (one self-re-arming timer, no churn per frame). */
  #armLiveness(): void {
    this.#clearTimer("liveness");
    const limit = 2 * this.#heartbeatInterval;
    this.#lastFrameAt = this.#host.timers.now();
    const check = (wait: number) => {
      this.#livenessTimer = this.#host.timers.setTimeout(() => {
        this.#livenessTimer = undefined;
        const left = this.#lastFrameAt + limit - this.#host.timers.now();
        if (left > 0) return check(left);
        // Say why (a peer that still reads learns it), but a dead peer cannot answer the handshake: drop it soon.
        this.#close(CloseCode.HeartbeatTimeout, "heartbeat timeout");
        this.#host.timers.setTimeout(() => this.#ws.terminate(), TERMINATE_AFTER_MS);
      }, wait);
    };
    check(limit);
  }

  /** Closes with `code`; the state becomes closed at once. */
  #close(code: number, reason: string): void {
    if (this.#state === "closed") return;
    try {
      this.#ws.close(code, reason);
    } catch {
      this.#ws.terminate();
    }
    this.#transition("closed");
  }

  /** Closes the connection because the server shuts down. */
  shutdown(): void {
    this.#close(CloseCode.GoingAway, "server shutting down");
  }

  /** Drops the socket without a handshake. */
  terminate(): void {
    this.#ws.terminate();
    this.#transition("closed");
  }

  /** Resolves when the socket is closed. */
  closed(): Promise<void> {
    if (this.#ws.readyState === 3) return Promise.resolve();
    return new Promise((resolve) => this.#ws.once("close", () => resolve()));
  }

  send(text: string): void {
    if (this.#ws.readyState !== OPEN) return;
    if (this.#ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      // A client that does not read would make the server hold everything for it: let it reconnect and catch up.
      this.#close(CloseCode.TryAgainLater, "not reading fast enough");
      this.#host.timers.setTimeout(() => this.#ws.terminate(), TERMINATE_AFTER_MS);
      return;
    }
    this.#ws.send(text);
  }

  #sendFrame(frame: object): void {
    this.send(JSON.stringify(frame));
  }

  acknowledge(messageId: string, seq: number, outcome: AckOutcome): void {
    this.#sendFrame({ type: "ack", messageId, timestamp: this.#host.timers.now(), userId: this.#userId, payload: { seq, outcome } });
  }

  fail(messageId: string, error: SyncError): void {
    const code = this.#host.closing ? WireErrorCode.ShuttingDown : WireErrorCode.StorageFailed;
    this.#sendError(code, `change not applied: ${error.message}`, messageId, 1_000);
  }

  #sendError(code: string, message: string, messageId?: string, retryAfterMs?: number): void {
    this.#sendFrame({ type: "error", code, message, ...(messageId === undefined ? {} : { messageId }), ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  }

  #onMessage(data: unknown): void {
    if (this.#state === "closed") return;
    this.#lastFrameAt = this.#host.timers.now();
    const decoded = decodeFrame(clientFrameSchema, data);
    const type = decoded.ok ? decoded.frame.type : undefined;
    // Every frame but heartbeats and auth counts, malformed ones too (a flood of garbage is a flood).
    if (this.#bucket !== undefined && type !== "heartbeat" && type !== "auth") {
      const wait = this.#bucket.take();
      if (wait > 0) {
        const limit = this.#host.options.rateLimit as RateLimit;
        const messageId = !decoded.ok ? peek(data).messageId : decoded.frame.type === "change" ? decoded.frame.messageId : decoded.frame.type === "sync-change" ? decoded.frame.data.messageId : undefined;
        this.#sendError(WireErrorCode.RateLimited, `more than ${limit.maxMessages} frames per ${limit.intervalMs} ms; not applied, send it again in ${wait} ms`, messageId, wait);
        return;
      }
    }
    if (!decoded.ok) {
      const raw = peek(data);
      if (raw.type === "auth" && this.#state === "awaiting-auth") {
        this.#sendError(WireErrorCode.InvalidFrame, `invalid auth frame: ${decoded.message}`);
        this.#close(CloseCode.BadAuth, "invalid auth frame");
        return;
      }
      this.#sendError(WireErrorCode.InvalidFrame, decoded.message, raw.messageId);
      return;
    }
    const frame = decoded.frame;
    if (frame.type === "heartbeat") {
      this.#sendFrame({ type: "heartbeat", timestamp: this.#host.timers.now() });
      return;
    }
    this.#handle(frame);
  }

  #handle(frame: ClientFrame): void {
    switch (this.#state) {
      case "awaiting-auth": {
        if (frame.type === "auth") {
          void this.#authenticate(frame);
          return;
        }
        if (this.#host.options.authenticate !== undefined) {
          this.#sendError(WireErrorCode.NotAuthenticated, `a "${frame.type}" frame before "auth": this server requires a token`);
          this.#close(CloseCode.AuthRequired, "auth required");
          return;
        }
        // No authentication configured: a client that skips `auth` (the legacy frame) joins the default room.
        this.#backlog.push(frame);
        void this.#authenticate({ type: "auth", roomId: "default", userId: "anonymous", clientId: globalThis.crypto.randomUUID() }, true);
        return;
      }
      case "authenticating": {
        if (frame.type === "auth") this.#sendError(WireErrorCode.AlreadyAuthenticated, "auth is already in progress");
        else this.#backlog.push(frame);
        return;
      }
      case "open": {
        if (frame.type === "auth") {
          this.#sendError(WireErrorCode.AlreadyAuthenticated, `already in room "${this.#room!.id}"`);
          return;
        }
        this.#change(frame);
        return;
      }
      case "closed":
        return;
    }
  }

  async #authenticate(frame: AuthFrame, implicit = false): Promise<void> {
    this.#transition("authenticating");
    const { authenticate } = this.#host.options;
    if (authenticate !== undefined) {
      let accepted = false;
      try {
        accepted = (await authenticate({ token: frame.token, roomId: frame.roomId, userId: frame.userId, clientId: frame.clientId, request: this.#request })) === true;
      } catch (error) {
        this.#host.options.onError(error);
      }
      if (!accepted) {
        this.#sendError(WireErrorCode.Unauthorized, `the token was refused for room "${frame.roomId}"`);
        this.#close(CloseCode.Unauthorized, "unauthorized");
        return;
      }
    }
    let room: Room;
    try {
      room = await this.#host.room(frame.roomId);
    } catch (error) {
      this.#host.options.onError(error);
      this.#close(CloseCode.InternalError, "storage unavailable");
      return;
    }
    if (this.#state !== "authenticating") return; // closed meanwhile
    this.#userId = frame.userId;
    this.#clientId = frame.clientId;
    if (frame.heartbeatInterval !== undefined) this.#heartbeatInterval = frame.heartbeatInterval;
    this.#room = room;
    if (!implicit) {
      // A cursor of another epoch, or past the room's end, counts another sequence: send everything.
      const foreign = (frame.epoch !== undefined && frame.epoch !== room.epoch) || (frame.since ?? 0) > room.seq;
      const since = frame.since === undefined || foreign ? 0 : frame.since;
      const changes = room.changesSince(since);
      for (let i = 0; i < changes.length; i += CATCH_UP_CHUNK) this.#sendFrame({ type: "catch-up", changes: changes.slice(i, i + CATCH_UP_CHUNK) });
      this.#sendFrame({
        type: "ready",
        roomId: room.id,
        clientId: frame.clientId,
        seq: room.seq,
        epoch: room.epoch,
        maxPayloadBytes: this.#host.options.maxPayloadBytes,
        heartbeatInterval: this.#heartbeatInterval,
        timestamp: this.#host.timers.now(),
      });
    }
    room.members.add(this);
    this.#transition("open");
    for (const queued of this.#backlog.splice(0)) this.#handle(queued);
  }

  #change(frame: ClientFrame): void {
    const room = this.#room!;
    if (frame.type === "change") {
      const { payload } = frame;
      const problem = changeProblem(payload.operation, payload.entityType, payload.entityId, payload.entity);
      if (problem !== undefined) {
        this.#sendError(WireErrorCode.InvalidChange, problem, frame.messageId);
        return;
      }
      if (this.#host.closing) {
        this.#sendError(WireErrorCode.ShuttingDown, "the server is shutting down; send it again after reconnecting", frame.messageId, 1_000);
        return;
      }
      let change: IncomingChange;
      try {
        change = { from: this, messageId: frame.messageId, userId: this.#userId, clientId: this.#clientId, timestamp: frame.timestamp, version: versionFromPayload(payload, this.#clientId) };
      } catch (error) {
        this.#sendError(WireErrorCode.InvalidChange, describeError(error), frame.messageId);
        return;
      }
      room.submit(change);
      return;
    }
    if (frame.type !== "sync-change") return;
    const { data } = frame;
    const messageId = data.messageId ?? globalThis.crypto.randomUUID();
    const problem = changeProblem(data.type, data.entityType, data.entityId, data.entity);
    if (problem !== undefined) {
      this.#sendError(WireErrorCode.InvalidChange, problem, messageId);
      return;
    }
    if (this.#host.closing) {
      this.#sendError(WireErrorCode.ShuttingDown, "the server is shutting down", messageId, 1_000);
      return;
    }
    const entity = data.entity as Entity | undefined;
    room.submit({
      from: this,
      messageId,
      userId: this.#userId,
      clientId: this.#clientId,
      timestamp: this.#host.timers.now(),
      write: { operation: data.type, entityType: data.entityType, entityId: data.entityId, entity },
    });
  }
}

/** What is wrong with a change beyond its shape, or undefined. */
function changeProblem(operation: string, entityType: string, entityId: string, entity: { id: string; type: string } | undefined): string | undefined {
  if (operation === "upsert" && entity === undefined) return `an upsert of ${entityType} "${entityId}" needs an entity`;
  if (entity !== undefined && entity.id !== entityId) return `entity.id "${entity.id}" disagrees with entityId "${entityId}"`;
  if (entity !== undefined && entity.type !== entityType) return `entity.type "${entity.type}" disagrees with entityType "${entityType}"`;
  return undefined;
}

/** The `type` and `messageId` of a frame that failed validation, when it has them. */
function peek(data: unknown): { type?: string; messageId?: string } {
  try {
    const json = JSON.parse(typeof data === "string" ? data : String(data)) as Record<string, unknown> | null;
    if (typeof json !== "object" || json === null) return {};
    const nested = typeof json.data === "object" && json.data !== null ? (json.data as Record<string, unknown>).messageId : undefined;
    const messageId = typeof json.messageId === "string" ? json.messageId : typeof nested === "string" ? nested : undefined;
    return { ...(typeof json.type === "string" ? { type: json.type } : {}), ...(messageId === undefined ? {} : { messageId }) };
  } catch {
    return {};
  }
}
