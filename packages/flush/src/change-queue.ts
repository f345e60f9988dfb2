import type { BaseEntity, BatchMeta, ChangeOrigin, EntityId } from "@kalphite/store";
import { FlushError, FlushErrorCode } from "./errors";
import type { FlushChange } from "./types";

/** A checked change on its way into the queue. */
export interface IncomingChange {
  readonly operation: FlushChange["operation"];
  readonly entityType: string;
  readonly entityId: EntityId;
  readonly entity: BaseEntity | undefined;
  readonly origin: ChangeOrigin;
  /** The store batch of the change; `put` stamps the batch's own id when absent. */
  readonly batchId?: string | undefined;
}

/** A store batch inside a unit: its id and metadata. */
export interface BatchEntry {
  readonly batchId: string;
  meta: BatchMeta | undefined;
}

/**
 * The latest queued change of one entity within a unit, overwritten in place
 * while the unit waits (coalescing allocates nothing).
 */
export class QueuedChange {
  constructor(
    readonly entityType: string,
    readonly entityId: EntityId,
    public operation: FlushChange["operation"],
    public entity: BaseEntity | undefined,
    public timestamp: number,
    public origin: ChangeOrigin,
    public batchId: string,
    public unit: Unit,
  ) {}

  /** `flushKey(entityType, entityId)`; built on demand (the write path never needs it). */
  get key(): string {
    return keyOf(this.entityType, this.entityId);
  }

  toChange(): FlushChange {
    const { operation, entityId, entityType, timestamp, origin, batchId } = this;
    return operation === "upsert"
      ? { operation, entityId, entityType, entity: this.entity, timestamp, origin, batchId }
      : { operation, entityId, entityType, timestamp, origin, batchId };
  }
}

/**
 * The unit of delivery and of atomicity: one or more whole store batches
 * whose changes coalesced (they touched a common entity while waiting), so
 * they can only become durable together. A target call carries one or more
 * whole units, never part of one.
 */
export class Unit {
  readonly records: QueuedChange[] = [];
  /** The ids of its store batches, in order. */
  readonly batchIds: string[] = [];
  /** Their metadata, aligned with `batchIds`; `null` while none has any (the common case allocates nothing). */
  metas: (BatchMeta | undefined)[] | null = null;
  /** In the call the target is working on: a new change of its entities gets a new record elsewhere. */
  flying = false;
  /**
   * Under suspicion after a permanent failure (being bisected): nothing
   * coalesces into it any more, so a later write never joins a poisoned batch.
   */
  sealed = false;
  prev: Unit | null = null;
  next: Unit | null = null;

  /** `seq` is the number of the unit's first batch: waiters compare with it. */
  constructor(public seq: number) {}

  /** Every change of the unit, in the order its entities were first changed. */
  changes(): FlushChange[] {
    return this.records.map((record) => record.toChange());
  }

  /** Its store batches with their metadata. */
  get batches(): BatchEntry[] {
    return this.batchIds.map((batchId, i) => ({ batchId, meta: this.metas?.[i] }));
  }

  addBatch(batchId: string, meta: BatchMeta | undefined): void {
    if (meta !== undefined && this.metas === null) this.metas = new Array<BatchMeta | undefined>(this.batchIds.length).fill(undefined);
    this.batchIds.push(batchId);
    this.metas?.push(meta);
  }

  /** Appends `other`'s batches (merging) and empties it. */
  takeBatches(other: Unit): void {
    for (let i = 0; i < other.batchIds.length; i++) this.addBatch(other.batchIds[i]!, other.metas?.[i]);
    other.batchIds.length = 0;
    other.metas = null;
  }
}

/** A unit is open to coalescing while it waits, unsealed. */
const open = (unit: Unit) => !unit.flying && !unit.sealed;

/** The key of an entity: type and id joined by a NUL character (as `flushKey`). */
const keyOf = (type: string, id: EntityId) => `${type}\u0000${id}`;

/** Entity → its newest queued record, as a map per type (no key strings built on the write path). */
class RecordIndex {
  readonly #byType = new Map<string, Map<EntityId, QueuedChange>>();
  size = 0;

  get(type: string, id: EntityId): QueuedChange | undefined {
    return this.#byType.get(type)?.get(id);
  }

  /** The newest record of `record`'s entity. */
  latest(record: QueuedChange): QueuedChange | undefined {
    return this.#byType.get(record.entityType)?.get(record.entityId);
  }

  set(record: QueuedChange): void {
    let byId = this.#byType.get(record.entityType);
    if (byId === undefined) {
      byId = new Map();
      this.#byType.set(record.entityType, byId);
    }
    const before = byId.size;
    byId.set(record.entityId, record);
    this.size += byId.size - before;
  }

  delete(record: QueuedChange): void {
    const byId = this.#byType.get(record.entityType);
    if (byId?.delete(record.entityId) !== true) return;
    this.size--;
    if (byId.size === 0) this.#byType.delete(record.entityType); // types come and go (remote ones too): keep none empty
  }
}

/**
 * The undelivered changes: a list of units in delivery order, the units in
 * flight, and an index from entity to its newest queued record.
 *
 * Invariants: units are in the order their first batch was scheduled (a
 * merged unit takes the place of its first); a batch touching an entity of an
 * open unit merges that unit and every later one into one, when that stays
 * within `maxBatchSize`; otherwise, and when the entity's unit is in flight
 * or sealed, the entity gets a new record in a later unit, which the index
 * points to: the older version is delivered first and never overtakes the newer.
 */
export class ChangeQueue {
  readonly #index = new RecordIndex();
  #head: Unit | null = null;
  #tail: Unit | null = null;
  #flight: Unit[] | null = null;

  /** Distinct entities queued: waiting, in flight, or both. */
  get distinct(): number {
    return this.#index.size;
  }

  /** Whether nothing waits and nothing is in flight. */
  get empty(): boolean {
    return this.#head === null && this.#flight === null;
  }

  /** Whether units wait to be sent (not in flight). */
  get waiting(): boolean {
    return this.#head !== null;
  }

  /** Whether a call is in flight. */
  get inFlight(): boolean {
    return this.#flight !== null;
  }

  /**
   * Queues one store batch, all or nothing: coalesces each change into the
   * newest record of its entity when that record waits in an open unit (merging
   * the units from there to the tail, so the batches that must become durable
   * together travel together) as long as the merged unit stays within
   * `maxBatch` changes; otherwise appends a new unit (the older record is
   * then delivered first, the newer one after it).
   * @throws FlushError `QUEUE_FULL` (nothing queued) when its new entities would pass `maxSize`.
   */
  put(changes: readonly IncomingChange[], batch: BatchEntry, seq: number, timestamp: number, maxSize: number, maxBatch: number): void {
    const index = this.#index;
    let first: Unit | null = null;
    let fresh = 0;
    let seen: Set<string> | undefined;
    for (let i = 0; i < changes.length; i++) {
      const change = changes[i]!;
      const current = index.get(change.entityType, change.entityId);
      if (current === undefined) {
        if (changes.length > 1) {
          const key = keyOf(change.entityType, change.entityId);
          seen ??= new Set();
          if (seen.has(key)) continue;
          seen.add(key);
        }
        fresh++;
      } else if (open(current.unit) && (first === null || current.unit.seq < first.seq)) first = current.unit;
    }
    if (fresh > 0 && index.size + fresh > maxSize) {
      const change = changes.find((c) => index.get(c.entityType, c.entityId) === undefined)!;
      throw new FlushError(
        FlushErrorCode.QueueFull,
        `Flush queue full: ${maxSize} entities are waiting to be written, so ${change.entityType} "${change.entityId}" (batch ${batch.batchId}, ${changes.length} change(s)) was refused; nothing of the batch was queued. Let deliveries catch up (await flush()) or raise maxQueueSize.`,
      );
    }
    let unit: Unit;
    if (first !== null && this.#fits(first, this.#tail!, fresh, maxBatch)) {
      this.#mergeFrom(first, this.#tail!);
      unit = first;
    } else {
      unit = new Unit(seq);
      this.#append(unit);
    }
    unit.addBatch(batch.batchId, batch.meta);
    for (let i = 0; i < changes.length; i++) {
      const change = changes[i]!;
      const batchId = change.batchId ?? batch.batchId;
      const current = index.get(change.entityType, change.entityId);
      if (current !== undefined && current.unit === unit) {
        current.operation = change.operation;
        current.entity = change.entity;
        current.timestamp = timestamp;
        current.origin = change.origin;
        current.batchId = batchId;
        continue;
      }
      const record = new QueuedChange(change.entityType, change.entityId, change.operation, change.entity, timestamp, change.origin, batchId, unit);
      unit.records.push(record);
      index.set(record);
    }
  }

  /**
   * Takes whole units off the front as the call in flight: as many as fit in
   * `maxChanges` (at least one, whatever its size) and at most `maxUnits`.
   */
  take(maxChanges: number, maxUnits: number): Unit[] {
    const units: Unit[] = [];
    let total = 0;
    while (this.#head !== null && units.length < maxUnits) {
      const unit = this.#head;
      if (units.length > 0 && total + unit.records.length > maxChanges) break;
      total += unit.records.length;
      this.#unlink(unit);
      unit.flying = true;
      units.push(unit);
    }
    this.#flight = units.length > 0 ? units : null;
    return units;
  }

  /** The call in flight was applied: forgets every entity that did not change meanwhile. */
  delivered(): void {
    for (const unit of this.#flight ?? []) this.#forget(unit);
    this.#flight = null;
  }

  /**
   * The call in flight failed. `dead` units leave the queue (their records
   * still current are returned, per unit, for the dead-letter list); the
   * others go back to the front, in order. With `seal`, the requeued units
   * are sealed (being bisected); otherwise an entity changed meanwhile
   * supersedes its failed record: the units from the first open requeued one
   * to the newest such change merge (within `maxBatch` changes), and the
   * newer state takes the place of the stale one.
   */
  failed(dead: ReadonlySet<Unit>, seal: boolean, maxBatch: number): { dead: { unit: Unit; records: QueuedChange[] }[]; requeued: Unit[] } {
    const flight = this.#flight ?? [];
    this.#flight = null;
    const gone: { unit: Unit; records: QueuedChange[] }[] = [];
    const requeued: Unit[] = [];
    for (const unit of flight) {
      unit.flying = false;
      if (dead.has(unit)) gone.push({ unit, records: this.#forget(unit) });
      else requeued.push(unit);
    }
    let next = this.#head;
    for (let i = requeued.length - 1; i >= 0; i--) {
      const unit = requeued[i]!;
      if (seal) unit.sealed = true;
      this.#link(unit, null, next);
      next = unit;
    }
    const start = requeued.find(open);
    if (start !== undefined) {
      let last: Unit | null = null;
      const back = new Set(requeued);
      for (let unit: Unit | null = start; unit !== null && back.has(unit); unit = unit.next) {
        for (const record of unit.records) {
          const latest = this.#index.latest(record);
          if (latest !== undefined && latest !== record && open(latest.unit) && (last === null || latest.unit.seq > last.seq)) last = latest.unit;
        }
      }
      if (last !== null && this.#fits(start, last, 0, maxBatch)) this.#mergeFrom(start, last);
    }
    return { dead: gone, requeued };
  }

  /** Appends a unit holding `records` (dead letters being retried) with its batches; entities queued since are skipped (the newer change wins). */
  restore(records: readonly IncomingChange[], batches: readonly BatchEntry[], seq: number, timestamp: number): void {
    const unit = new Unit(seq);
    for (const batch of batches) unit.addBatch(batch.batchId, batch.meta);
    for (const change of records) {
      if (this.#index.get(change.entityType, change.entityId) !== undefined) continue;
      const record = new QueuedChange(change.entityType, change.entityId, change.operation, change.entity, timestamp, change.origin, change.batchId ?? batches[0]?.batchId ?? "", unit);
      unit.records.push(record);
      this.#index.set(record);
    }
    if (unit.records.length > 0 || batches.some((b) => b.meta !== undefined)) this.#append(unit);
  }

  /** The number of the oldest undelivered batch; `Infinity` when there is none. */
  minSeq(): number {
    return this.#flight?.[0]?.seq ?? this.#head?.seq ?? Infinity;
  }

  /** Every undelivered change, newest state per entity, oldest first: the call in flight, then the waiting ones. */
  snapshot(): FlushChange[] {
    const changes: FlushChange[] = [];
    const add = (unit: Unit) => {
      for (const record of unit.records) if (this.#index.latest(record) === record) changes.push(record.toChange());
    };
    for (const unit of this.#flight ?? []) add(unit);
    for (let unit = this.#head; unit !== null; unit = unit.next) add(unit);
    return changes;
  }

  /** Removes the unit's records from the index where they are still the newest; returns those. */
  #forget(unit: Unit): QueuedChange[] {
    const current: QueuedChange[] = [];
    for (const record of unit.records) {
      if (this.#index.latest(record) === record) {
        this.#index.delete(record);
        current.push(record);
      }
    }
    return current;
  }

  /** Whether the waiting units `first` … `last` hold at most `max` records (plus `extra`): merging them keeps a call within `maxBatchSize`. */
  #fits(first: Unit, last: Unit, extra: number, max: number): boolean {
    let total = extra;
    for (let unit: Unit | null = first; unit !== null; unit = unit.next) {
      total += unit.records.length;
      if (total > max) return false;
      if (unit === last) break;
    }
    return true;
  }

  /**
   * Merges the waiting units `first` … `last` (contiguous) into `first`. A
   * record superseded by a newer one of the range gives its place to it (the
   * newer state keeps the entity's place in the order).
   */
  #mergeFrom(first: Unit, last: Unit): void {
    if (first === last) return;
    const range = new Set<Unit>();
    for (let unit: Unit | null = first; unit !== null; unit = unit.next) {
      range.add(unit);
      if (unit === last) break;
    }
    const merged: QueuedChange[] = [];
    const placed = new Set<QueuedChange>();
    for (const unit of range) {
      for (const record of unit.records) {
        const latest = this.#index.latest(record);
        const keep = latest !== undefined && latest !== record && range.has(latest.unit) ? latest : record;
        if (placed.has(keep)) continue;
        placed.add(keep);
        merged.push(keep);
      }
    }
    for (const unit of range) {
      if (unit === first) continue;
      this.#unlink(unit);
      first.takeBatches(unit);
      unit.records.length = 0;
    }
    for (const record of merged) record.unit = first;
    first.records.length = 0;
    for (const record of merged) first.records.push(record);
  }

  #append(unit: Unit): void {
    this.#link(unit, this.#tail, null);
  }

  #link(unit: Unit, prev: Unit | null, next: Unit | null): void {
    unit.prev = prev;
    unit.next = next;
    if (prev === null) this.#head = unit;
    else prev.next = unit;
    if (next === null) this.#tail = unit;
    else next.prev = unit;
  }

  #unlink(unit: Unit): void {
    if (unit.prev === null) this.#head = unit.next;
    else unit.prev.next = unit.next;
    if (unit.next === null) this.#tail = unit.prev;
    else unit.next.prev = unit.prev;
    unit.prev = null;
    unit.next = null;
  }
}
