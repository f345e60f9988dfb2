import type { BaseEntity, EntityId } from "@kalphite/store";
import { FlushError, FlushErrorCode } from "./errors";
import type { FlushChange } from "./types";

/**
 * One queued entity: its latest change, overwritten in place while it waits
 * (coalescing allocates nothing) and linked into the delivery order.
 */
class QueuedChange {
  operation: FlushChange["operation"];
  entity: BaseEntity | undefined;
  timestamp: number;
  /** Sequence number of the oldest change of this entity that is not delivered yet. */
  since: number;
  /** In the batch the target is working on: a new change gets a new record. */
  flying = false;
  prev: QueuedChange | null = null;
  next: QueuedChange | null = null;

  constructor(
    readonly entityType: string,
    readonly entityId: EntityId,
    operation: FlushChange["operation"],
    entity: BaseEntity | undefined,
    timestamp: number,
    since: number,
  ) {
    this.operation = operation;
    this.entity = entity;
    this.timestamp = timestamp;
    this.since = since;
  }
}

function toChange(record: QueuedChange): FlushChange {
  return record.operation === "upsert"
    ? { operation: "upsert", entityId: record.entityId, entityType: record.entityType, entity: record.entity, timestamp: record.timestamp }
    : { operation: "delete", entityId: record.entityId, entityType: record.entityType, timestamp: record.timestamp };
}

/**
 * The undelivered changes, one record per `(entityType, entityId)`, in
 * delivery order, plus the batch in flight.
 *
 * The waiting records form a linked list sorted by `since` (the first
 * undelivered change of each entity), which is the order entities were first
 * changed; a failed batch goes back to the front. An entity changed while its
 * batch is in flight gets a second record at the back (the index points to
 * the newest one), so the older version in flight can never overtake it.
 */
export class ChangeQueue {
  readonly #index = new Map<string, Map<EntityId, QueuedChange>>();
  #head: QueuedChange | null = null;
  #tail: QueuedChange | null = null;
  #waiting = 0;
  #distinct = 0;
  #flight: QueuedChange[] | null = null;

  /** Distinct entities queued: waiting, in flight, or both. */
  get distinct(): number {
    return this.#distinct;
  }

  /** Records waiting to be sent (not in flight). */
  get waiting(): number {
    return this.#waiting;
  }

  /** Whether a batch is in flight. */
  get inFlight(): boolean {
    return this.#flight !== null;
  }

  /**
   * Records a change of `(type, id)`, in O(1): overwrites the entity's waiting
   * record or appends a new one.
   * @throws FlushError `QUEUE_FULL` when the entity is new and `maxSize` entities are queued.
   */
  put(type: string, id: EntityId, operation: FlushChange["operation"], entity: BaseEntity | undefined, timestamp: number, seq: number, maxSize: number): void {
    let byId = this.#index.get(type);
    const current = byId?.get(id);
    if (current !== undefined && !current.flying) {
      current.operation = operation;
      current.entity = entity;
      current.timestamp = timestamp;
      return;
    }
    if (current === undefined) {
      if (this.#distinct >= maxSize) {
        throw new FlushError(
          FlushErrorCode.QueueFull,
          `Flush queue full: ${maxSize} entities are waiting to be written, so ${type} "${id}" was refused. Let deliveries catch up (await flush()) or raise maxQueueSize.`,
        );
      }
      this.#distinct++;
    }
    const record = new QueuedChange(type, id, operation, entity, timestamp, seq);
    if (byId === undefined) {
      byId = new Map();
      this.#index.set(type, byId);
    }
    byId.set(id, record);
    this.#link(record, this.#tail, null);
  }

  /** Takes up to `max` records off the front as the batch in flight and returns its changes. */
  takeBatch(max: number): FlushChange[] {
    const batch: QueuedChange[] = [];
    const changes: FlushChange[] = [];
    while (batch.length < max && this.#head !== null) {
      const record = this.#head;
      this.#unlink(record);
      record.flying = true;
      batch.push(record);
      changes.push(toChange(record));
    }
    this.#flight = batch.length > 0 ? batch : null;
    return changes;
  }

  /** The batch in flight was delivered: forgets every entity that did not change meanwhile. */
  delivered(): void {
    for (const record of this.#flight ?? []) {
      record.flying = false;
      const byId = this.#index.get(record.entityType);
      if (byId?.get(record.entityId) === record) {
        byId.delete(record.entityId);
        this.#distinct--;
      }
    }
    this.#flight = null;
  }

  /**
   * The batch in flight failed: it goes back to the front, in order. An entity
   * changed meanwhile is represented by its newer record, moved to the front
   * (the newer change supersedes the failed one). Returns the requeued changes.
   */
  failed(): FlushChange[] {
    const flight = this.#flight ?? [];
    this.#flight = null;
    const requeued: FlushChange[] = new Array<FlushChange>(flight.length);
    for (let i = flight.length - 1; i >= 0; i--) {
      const record = flight[i]!;
      record.flying = false;
      const latest = this.#index.get(record.entityType)?.get(record.entityId) ?? record;
      if (latest !== record) {
        latest.since = record.since;
        this.#unlink(latest);
      }
      this.#link(latest, null, this.#head);
      requeued[i] = toChange(latest);
    }
    return requeued;
  }

  /** The sequence number of the oldest undelivered change; `Infinity` when there is none. */
  minSince(): number {
    return this.#flight?.[0]?.since ?? this.#head?.since ?? Infinity;
  }

  /** Every undelivered change, newest state per entity, oldest first: the batch in flight, then the waiting ones. */
  snapshot(): FlushChange[] {
    const changes: FlushChange[] = [];
    for (const record of this.#flight ?? []) {
      if (this.#index.get(record.entityType)?.get(record.entityId) === record) changes.push(toChange(record));
    }
    for (let record = this.#head; record !== null; record = record.next) changes.push(toChange(record));
    return changes;
  }

  #link(record: QueuedChange, prev: QueuedChange | null, next: QueuedChange | null): void {
    record.prev = prev;
    record.next = next;
    if (prev === null) this.#head = record;
    else prev.next = record;
    if (next === null) this.#tail = record;
    else next.prev = record;
    this.#waiting++;
  }

  #unlink(record: QueuedChange): void {
    if (record.prev === null) this.#head = record.next;
    else record.prev.next = record.next;
    if (record.next === null) this.#tail = record.prev;
    else record.next.prev = record.prev;
    record.prev = null;
    record.next = null;
    this.#waiting--;
  }
}
