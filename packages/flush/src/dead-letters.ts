import type { BatchMeta } from "@kalphite/store";
import { describeEntity, listEntities } from "./call";
import type { BatchEntry, IncomingChange, QueuedChange, Unit } from "./change-queue";
import { describeError, FlushError, FlushErrorCode } from "./errors";
import { flushKey } from "./memory-flush-target";
import type { DeadLetter, DeadLetterKey, FlushChange } from "./types";

/** A dead-lettered unit: whole store batches the target refused for good. */
interface DeadUnit {
  readonly letters: DeadLetter[];
  readonly batches: BatchEntry[];
}

function keyOf(key: DeadLetterKey): string {
  if (typeof key === "string") return key;
  if (typeof key === "object" && key !== null && typeof key.entityType === "string" && typeof key.entityId === "string") return flushKey(key.entityType, key.entityId);
  throw new FlushError(FlushErrorCode.InvalidArgument, `discardDeadLetters(keys): each key must be a flushKey(entityType, entityId) string or { entityType, entityId }, got ${JSON.stringify(key) ?? String(key)}`);
}

/**
 * The dead-letter list: what the target refused for good, kept whole per
 * unit (the store batches that travel together) so a retry re-delivers whole
 * batches. At most one letter per entity: a later write of the entity
 * supersedes its letter (`supersede`), and so does a later dead letter.
 */
export class DeadLetterList {
  #units: DeadUnit[] = [];
  readonly #byKey = new Map<string, DeadUnit>();

  /** Changes in the list. */
  get size(): number {
    return this.#byKey.size;
  }

  /** Adds one refused unit; returns its letters. */
  add(letters: DeadLetter[], batches: BatchEntry[]): void {
    for (const letter of letters) this.supersede(letter.key);
    const unit: DeadUnit = { letters, batches };
    this.#units.push(unit);
    for (const letter of letters) this.#byKey.set(letter.key, unit);
  }

  /** A newer change of the entity was scheduled: its letter would only put back an older state, so it goes. */
  supersede(key: string): void {
    const unit = this.#byKey.get(key);
    if (unit === undefined) return;
    this.#byKey.delete(key);
    const at = unit.letters.findIndex((letter) => letter.key === key);
    if (at >= 0) unit.letters.splice(at, 1);
    this.#prune(unit);
  }

  /** A newer batch carries these metadata keys: the dead batches' older values of them are dropped. */
  supersedeMeta(meta: BatchMeta): void {
    for (const unit of this.#units) {
      for (const batch of unit.batches) {
        if (batch.meta === undefined) continue;
        const rest = Object.fromEntries(Object.entries(batch.meta).filter(([key]) => !Object.hasOwn(meta, key)));
        batch.meta = Object.keys(rest).length > 0 ? rest : undefined;
      }
    }
  }

  /** Every letter, oldest first. */
  list(): DeadLetter[] {
    return this.#units.flatMap((unit) => unit.letters);
  }

  /** Empties the list, returning each unit's changes and batches for requeueing, oldest first. */
  takeAll(): { changes: IncomingChange[]; batches: BatchEntry[] }[] {
    const units = this.#units;
    this.#units = [];
    this.#byKey.clear();
    return units.map((unit) => ({ changes: unit.letters.map((letter) => incoming(letter.change)), batches: unit.batches }));
  }

  /** Drops the letters of `keys` (every letter when absent); returns how many went. */
  discard(keys?: readonly DeadLetterKey[]): number {
    if (keys === undefined) {
      const count = this.#byKey.size;
      this.#units = [];
      this.#byKey.clear();
      return count;
    }
    if (!Array.isArray(keys)) throw new FlushError(FlushErrorCode.InvalidArgument, "discardDeadLetters(keys): keys must be an array (or absent for all)");
    const wanted = keys.map(keyOf);
    const before = this.#byKey.size;
    for (const key of wanted) this.supersede(key);
    return before - this.#byKey.size;
  }

  #prune(unit: DeadUnit): void {
    if (unit.letters.length === 0) this.#units = this.#units.filter((u) => u !== unit);
  }
}

function incoming(change: FlushChange): IncomingChange {
  return { operation: change.operation, entityType: change.entityType, entityId: change.entityId, entity: change.entity, origin: change.origin, batchId: change.batchId };
}

/** A refused unit and its records still current (the ones no newer write superseded). */
export interface DeadUnitRecords {
  readonly unit: Unit;
  readonly records: readonly QueuedChange[];
}

/**
 * The letters of one refused unit: every current change of it, `offending`
 * for the ones the target named (by `flushKey` in `offending`), or for the
 * only change of the unit when it named none; `reason` names the entity.
 */
export function deadLettersOf({ unit, records }: DeadUnitRecords, offending: ReadonlySet<string>, cause: unknown, deadAt: number): DeadLetter[] {
  const batchIds = [...unit.batchIds];
  const target = describeError(cause);
  const named = (key: string) => offending.has(key) || (offending.size === 0 && unit.records.length === 1);
  const culprits = records.filter((record) => named(record.key));
  const culprit = culprits.length > 0 ? listEntities(culprits) : "the target did not say which change";
  return records.map((record): DeadLetter => {
    const change = record.toChange();
    const isOffending = named(record.key);
    const reason = isOffending
      ? `${describeEntity(change)} (batch ${change.batchId}) was refused by the target: ${target}`
      : `${describeEntity(change)} (batch ${change.batchId}) was held back with its store batch(es) ${batchIds.join(", ")}, which the target refused (${culprit}): ${target}`;
    return {
      key: record.key,
      entityType: change.entityType,
      entityId: change.entityId,
      change,
      batchId: change.batchId,
      batchIds,
      offending: isOffending,
      error: new FlushError(FlushErrorCode.DeadLetter, reason, { cause, changes: [change] }),
      reason,
      deadAt,
    };
  });
}
