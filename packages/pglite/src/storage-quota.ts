import { QUOTA_SQLSTATE } from "./entity-sql";
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
 * headers when it stores them; `getStorageUsage()` re-measures).
 *
 * What a write is charged is its **net growth**, measured by the write
 * statement itself: the stored size of what it upserts, minus the size of the
 * rows it replaces, minus what its deletes free. The statement checks it
 * (`kalphite_check_growth`) and fails as a whole when it is positive and would
 * take the data past the limit, so a refused batch leaves nothing behind.
 * Deletes, and writes that do not grow the data (a rewrite at the same size,
 * a batch whose deletes free at least what it adds), always pass, even when
 * the data is already past the limit. Postgres' own catalogs, table overhead
 * and `kalphite_meta` are not counted.
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
   * How many bytes a write may grow the stored data by, on top of the used
   * size plus `pending` (growth of an open transaction); negative when the
   * data is already past the limit (then only writes that do not grow pass).
   * Undefined without a limit.
   */
  allowedGrowth(pending = 0): number | undefined {
    return this.#limit === undefined ? undefined : this.#limit - this.#used - pending;
  }

  /**
   * The `QuotaExceededError` for a write statement that failed its in-SQL
   * check (`kalphite_check_growth`, SQLSTATE KQ001), or undefined when `error`
   * is something else.
   */
  refusal(error: unknown, pending = 0): QuotaExceededError | undefined {
    if (this.#limit === undefined || (error as { code?: unknown } | null)?.code !== QUOTA_SQLSTATE) return undefined;
    const detail = Number((error as { detail?: unknown }).detail);
    return new QuotaExceededError(this.#used + pending, Number.isFinite(detail) ? detail : 0, this.#limit);
  }

  /** Records a committed write's growth (negative for freed bytes). */
  add(deltaBytes: number): void {
    this.#used = Math.max(0, this.#used + deltaBytes);
  }
}
