import { SyncError } from "../errors";
import type { AckOutcome, ServerChange } from "../protocol";
import type { ConflictStrategy } from "../types";
import { entityKey, joinVersions, localVersion, type EntityVersion, type LocalWrite } from "../version";
import { payloadFromVersion } from "../wire-version";
import type { RoomSnapshot, StoredChange, SyncServerStorage } from "./server-storage";

/** Who gets a room's frames: a connection that joined it. */
export interface RoomMember {
  /** Sends one text frame (already serialised). */
  send(text: string): void;
  /** The result of one of its changes. */
  acknowledge(messageId: string, seq: number, outcome: AckOutcome): void;
  /** One of its changes could not be applied (retriable: `STORAGE_FAILED`, `SHUTTING_DOWN`). */
  fail(messageId: string, error: SyncError): void;
}

/** A change waiting to be applied: a version (from a clock-aware client) or a plain write (legacy frame). */
export interface IncomingChange {
  readonly from: RoomMember;
  readonly messageId: string;
  readonly userId: string;
  readonly clientId: string;
  readonly timestamp: number;
  readonly version?: EntityVersion | undefined;
  readonly write?: LocalWrite | undefined;
}

/** Most changes one storage commit takes. */
const MAX_BATCH = 500;

/**
 * One room on the server: its entities (with clocks) in memory, loaded once
 * from storage; incoming changes applied in arrival order, a batch per
 * storage commit; acknowledgements and broadcasts sent after the commit.
 */
export class Room {
  readonly id: string;
  /** Names this room's sequence (see `RoomSnapshot.epoch`). */
  readonly epoch: string;
  readonly members = new Set<RoomMember>();
  #seq: number;
  readonly #entities: Map<string, StoredChange>;
  readonly #messages: Map<string, number>;
  readonly #inbox: IncomingChange[] = [];
  #draining: Promise<void> | undefined;
  readonly #storage: SyncServerStorage;
  readonly #strategy: ConflictStrategy;
  readonly #now: () => number;
  readonly #onError: (error: unknown) => void;

  constructor(
    id: string,
    snapshot: RoomSnapshot,
    options: { storage: SyncServerStorage; strategy: ConflictStrategy; now: () => number; onError: (error: unknown) => void },
  ) {
    this.id = id;
    this.epoch = snapshot.epoch;
    this.#seq = snapshot.seq;
    this.#entities = new Map(snapshot.entities.map((c) => [entityKey(c.version.entityType, c.version.entityId), c]));
    this.#messages = new Map(snapshot.messages);
    this.#storage = options.storage;
    this.#strategy = options.strategy;
    this.#now = options.now;
    this.#onError = options.onError;
  }

  /** The room's last sequence. */
  get seq(): number {
    return this.#seq;
  }

  /** How many entities the room holds (tombstones included). */
  get size(): number {
    return this.#entities.size;
  }

  /** The current version of every entity changed after `since`, oldest first, as relay frames (without `type`). */
  changesSince(since: number): Omit<ServerChange, "type">[] {
    const out: StoredChange[] = [];
    for (const change of this.#entities.values()) if (change.seq > since) out.push(change);
    out.sort((a, b) => a.seq - b.seq);
    return out.map((c) => this.#relay(c));
  }

  /** Queues a change; it is applied after those before it. */
  submit(change: IncomingChange): void {
    this.#inbox.push(change);
    this.#kick();
  }

  #kick(): void {
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
      if (this.#inbox.length > 0) this.#kick();
    });
  }

  /** Resolves when every submitted change is applied (or failed). */
  async idle(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining;
  }

  async #drain(): Promise<void> {
    // Yield once so that frames arriving in the same tick share a commit.
    await Promise.resolve();
    while (this.#inbox.length > 0) {
      const batch = this.#inbox.splice(0, MAX_BATCH);
      await this.#apply(batch);
    }
  }

  async #apply(batch: IncomingChange[]): Promise<void> {
    let seq = this.#seq;
    const staged = new Map<string, StoredChange>();
    const messages = new Map<string, number>();
    const log: StoredChange[] = [];
    const results: { change: IncomingChange; seq: number; outcome: AckOutcome; stored?: StoredChange }[] = [];
    for (const change of batch) {
      const seen = messages.get(change.messageId) ?? this.#messages.get(change.messageId);
      if (seen !== undefined) {
        results.push({ change, seq: seen, outcome: "duplicate" });
        continue;
      }
      const key = entityKey(change.version?.entityType ?? change.write!.entityType, change.version?.entityId ?? change.write!.entityId);
      const current = staged.get(key) ?? this.#entities.get(key);
      const incoming = change.version ?? localVersion(current?.version, change.write!, change.clientId, this.#now(), this.#strategy);
      const joined = current === undefined ? { version: incoming, concurrent: false } : joinVersions(current.version, incoming, this.#strategy);
      if (current !== undefined && joined.version === current.version) {
        messages.set(change.messageId, current.seq);
        results.push({ change, seq: current.seq, outcome: "stale" });
        continue;
      }
      seq++;
      const stored: StoredChange = { seq, messageId: change.messageId, userId: change.userId, clientId: change.clientId, timestamp: change.timestamp, version: joined.version };
      staged.set(key, stored);
      messages.set(change.messageId, seq);
      log.push(stored);
      results.push({ change, seq, outcome: joined.concurrent ? "merged" : "applied", stored });
    }
    if (log.length > 0 || messages.size > 0) {
      try {
        await this.#storage.commit(this.id, { epoch: this.epoch, seq, changes: log, messages: [...messages.entries()] });
      } catch (error) {
        this.#onError(error);
        const failure = error instanceof SyncError ? error : new SyncError("STORAGE_FAILED", String(error), { cause: error });
        for (const { change } of results) change.from.fail(change.messageId, failure);
        return;
      }
    }
    // Committed: the cache, the acknowledgements and the broadcasts move together, in sequence order.
    this.#seq = seq;
    for (const [key, stored] of staged) this.#entities.set(key, stored);
    for (const [id, s] of messages) this.#messages.set(id, s);
    for (const result of results) {
      if (result.stored !== undefined) {
        const text = JSON.stringify({ type: "change", ...this.#relay(result.stored) });
        for (const member of this.members) if (member !== result.change.from) member.send(text);
      }
      result.change.from.acknowledge(result.change.messageId, result.seq, result.outcome);
    }
  }

  #relay(change: StoredChange): Omit<ServerChange, "type"> {
    return {
      messageId: change.messageId,
      timestamp: change.timestamp,
      userId: change.userId,
      clientId: change.clientId,
      seq: change.seq,
      payload: payloadFromVersion(change.version, this.#strategy === "operational-transform"),
    };
  }
}
