import { utf8Length } from "./entity-input";
import { QuotaExceededError } from "./errors";

/** How much entity data the database holds, against `maxStorageMB`. */
export interface StorageUsage {
  /** Bytes of stored entity data (see `maxStorageMB`). */
  readonly usedBytes: number;
  /** The limit in bytes, or undefined without `maxStorageMB`. */
  readonly limitBytes: number | undefined;
}

/**
 * `maxStorageMB`, enforced. What is counted is the entity data: the sum of
 * the stored size of every entity's JSONB (`pg_column_size`; the column is
 * stored uncompressed, so this is what was written). It is measured once with
 * one query when the database opens (and after a restore or migration), then
 * kept up to date by every write, which reports its own growth through
 * `RETURNING` — no size query per write (the running figure can drift by a
 * few bytes per row from a fresh measurement: Postgres packs small values'
 * headers when it stores them; `getStorageUsage()` re-measures). A write is refused when the used
 * size plus its payload (its JSON text, in UTF-8 bytes) would pass the limit;
 * the payload is counted whole even when it replaces entities, so the check
 * errs on the safe side. Postgres' own catalogs and table overhead are not
 * counted. Deletes are always allowed and free their bytes at once.
 */
export class StorageQuota {
  readonly #limit: number | undefined;
  #used = 0;

  /** @param limitBytes undefined: no limit (nothing is measured or checked). */
  constructor(limitBytes: number | undefined) {
    this.#limit = limitBytes;
  }

  /** Whether a limit is set. */
  get enabled(): boolean {
    return this.#limit !== undefined;
  }

  /** The limit in bytes, or undefined. */
  get limitBytes(): number | undefined {
    return this.#limit;
  }

  /** Entity bytes stored, as last measured and tracked. */
  get usedBytes(): number {
    return this.#used;
  }

  /** Sets the used size from a measurement. */
  reset(usedBytes: number): void {
    this.#used = usedBytes;
  }

  /**
   * Throws `QuotaExceededError` when writing `payload` on top of the used size
   * (plus `pending`: growth of an open transaction) would pass the limit.
   */
  check(payload: string | undefined, pending = 0): void {
    if (this.#limit === undefined || payload === undefined) return;
    const requested = utf8Length(payload);
    const used = this.#used + pending;
    if (used + requested > this.#limit) throw new QuotaExceededError(used, requested, this.#limit);
  }

  /** Records a committed write's growth (negative for freed bytes). */
  add(deltaBytes: number): void {
    this.#used = Math.max(0, this.#used + deltaBytes);
  }
}
