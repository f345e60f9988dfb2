import type { SyncError } from "./errors";
import type { ChangeMessage } from "./types";

/** One unacknowledged change. */
export interface QueueEntry {
  readonly message: ChangeMessage;
  /** `entityKey(type, id)`. */
  readonly key: string;
  /** Written to storage (only durable entries are sent). */
  durable: boolean;
  /** Sent on the current connection. */
  sent: boolean;
  /** Sent on some connection (then it is never replaced by a newer change of its entity). */
  everSent: boolean;
}

/** Someone waiting in `flush()`. */
interface Waiter {
  readonly pending: Set<string>;
  readonly resolve: () => void;
  readonly reject: (error: SyncError) => void;
}

/**
 * The client's unacknowledged changes in order, with the never-sent change
 * of each entity (which a newer change replaces) and the `flush()` waiters.
 */
export class ChangeQueue {
  readonly #entries = new Map<string, QueueEntry>();
  readonly #unsentByKey = new Map<string, string>();
  readonly #waiters = new Set<Waiter>();

  get size(): number {
    return this.#entries.size;
  }

  has(messageId: string): boolean {
    return this.#entries.has(messageId);
  }

  get(messageId: string): QueueEntry | undefined {
    return this.#entries.get(messageId);
  }

  /** The entries, oldest first (a copy: safe to change the queue while iterating). */
  entries(): QueueEntry[] {
    return [...this.#entries.values()];
  }

  /** Whether a change of entity `key` waits. */
  hasKey(key: string): boolean {
    for (const entry of this.#entries.values()) if (entry.key === key) return true;
    return false;
  }

  /** The queued change of `key` that was never sent (a newer one replaces it), if any. */
  replaceable(key: string): QueueEntry | undefined {
    const id = this.#unsentByKey.get(key);
    const entry = id === undefined ? undefined : this.#entries.get(id);
    return entry !== undefined && !entry.everSent ? entry : undefined;
  }

  /** Appends `entry`; `replaced` leaves the queue and its waiters wait for `entry` instead. */
  add(entry: QueueEntry, replaced?: QueueEntry): void {
    if (replaced !== undefined) {
      this.#entries.delete(replaced.message.messageId);
      for (const waiter of this.#waiters) {
        if (waiter.pending.delete(replaced.message.messageId)) waiter.pending.add(entry.message.messageId);
      }
    }
    this.#entries.set(entry.message.messageId, entry);
    if (!entry.everSent) this.#unsentByKey.set(entry.key, entry.message.messageId);
  }

  /** Marks an entry sent on the current connection (it can no longer be replaced). */
  markSent(entry: QueueEntry): void {
    entry.sent = true;
    entry.everSent = true;
    if (this.#unsentByKey.get(entry.key) === entry.message.messageId) this.#unsentByKey.delete(entry.key);
  }

  /** A new connection: nothing is sent on it yet. */
  resetSent(): void {
    for (const entry of this.#entries.values()) entry.sent = false;
  }

  /** Removes an entry (acknowledged or refused) and settles the waiters: `error` rejects those that waited for it. */
  remove(messageId: string, error?: SyncError): QueueEntry | undefined {
    const entry = this.#entries.get(messageId);
    if (entry === undefined) return undefined;
    this.#entries.delete(messageId);
    if (this.#unsentByKey.get(entry.key) === messageId) this.#unsentByKey.delete(entry.key);
    for (const waiter of [...this.#waiters]) {
      if (!waiter.pending.delete(messageId)) continue;
      if (error !== undefined) {
        this.#waiters.delete(waiter);
        waiter.reject(error);
      } else if (waiter.pending.size === 0) {
        this.#waiters.delete(waiter);
        waiter.resolve();
      }
    }
    return entry;
  }

  /** Resolves when every entry queued now has left the queue (rejects when one was refused). */
  whenAcknowledged(): Promise<void> {
    if (this.#entries.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.add({ pending: new Set(this.#entries.keys()), resolve, reject }));
  }

  /** Rejects every waiter (the engine stopped). */
  rejectWaiters(error: SyncError): void {
    for (const waiter of [...this.#waiters]) {
      this.#waiters.delete(waiter);
      waiter.reject(error);
    }
  }
}
