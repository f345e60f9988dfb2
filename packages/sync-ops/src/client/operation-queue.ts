import { SyncOpsError, SyncOpsErrorCode, messageOf } from "../errors";
import type { PendingOperation } from "../types";
import type { OperationStorage } from "./operation-storage";

/** One unconfirmed operation. */
export interface QueueEntry {
  op: PendingOperation;
  /** In storage (only durable entries are pushed). */
  durable: boolean;
  /** Confirmed or refused: gone from the queue. */
  settled: boolean;
}

/**
 * The client's unconfirmed operations in id order, and their storage. Ids are
 * handed out sequentially; appends that arrive while a storage write runs are
 * written together. Storage writes happen one at a time, in order.
 */
export class OperationQueue {
  readonly #storage: OperationStorage;
  readonly #clientId: string;
  #entries: QueueEntry[] = [];
  #lastId = 0;
  #buffer: { entry: QueueEntry; resolve: () => void; reject: (e: unknown) => void }[] = [];
  #writing: Promise<void> = Promise.resolve();
  #appendScheduled = false;
  readonly #onError: (error: SyncOpsError) => void;

  /** `onError` hears storage failures of writes nobody awaits (removals, renumbering). */
  constructor(storage: OperationStorage, clientId: string, onError: (error: SyncOpsError) => void) {
    this.#storage = storage;
    this.#clientId = clientId;
    this.#onError = onError;
  }

  #background(what: string, fn: () => Promise<void>): void {
    this.#write(fn).catch((error: unknown) => {
      this.#onError(new SyncOpsError(SyncOpsErrorCode.StorageFailed, `${what} failed in the operation storage: ${messageOf(error)}`, { cause: error }));
    });
  }

  /** Loads what storage holds; returns it. */
  async load(): Promise<Record<string, string>> {
    const state = await this.#storage.load(this.#clientId);
    this.#entries = state.operations.map((op) => ({ op, durable: true, settled: false }));
    this.#lastId = Math.max(state.lastOperationId, ...state.operations.map((op) => op.id), 0);
    return state.values;
  }

  get size(): number {
    return this.#entries.length;
  }

  /** The highest id handed out (or stored). */
  get lastId(): number {
    return this.#lastId;
  }

  entries(): readonly QueueEntry[] {
    return this.#entries;
  }

  /** The durable entries at the head of the queue, at most `limit`. */
  head(limit: number): QueueEntry[] {
    const out: QueueEntry[] = [];
    for (const entry of this.#entries) {
      if (!entry.durable || out.length >= limit) break;
      out.push(entry);
    }
    return out;
  }

  byId(id: number): QueueEntry | undefined {
    return this.#entries.find((e) => e.op.id === id);
  }

  /** Adds an operation with the next id; resolves when it is in storage. */
  add(name: string, args: unknown[], timestamp: number): { entry: QueueEntry; durable: Promise<void> } {
    const op: PendingOperation = { name, args, id: ++this.#lastId, clientId: this.#clientId, timestamp };
    const entry: QueueEntry = { op, durable: false, settled: false };
    this.#entries.push(entry);
    const durable = new Promise<void>((resolve, reject) => this.#buffer.push({ entry, resolve, reject }));
    if (!this.#appendScheduled) {
      this.#appendScheduled = true;
      void this.#write(async () => {
        this.#appendScheduled = false;
        const batch = this.#buffer.splice(0);
        const live = batch.filter((b) => !b.entry.settled);
        try {
          await this.#storage.append(this.#clientId, live.map((b) => b.entry.op));
        } catch (error) {
          this.#dropUnstored(batch.map((b) => b.entry));
          const failure = new SyncOpsError(SyncOpsErrorCode.StorageFailed, `the operation could not be stored: ${messageOf(error)}`, { cause: error });
          for (const b of batch) b.reject(failure);
          return;
        }
        for (const b of batch) {
          b.entry.durable = true;
          b.resolve();
        }
      });
    }
    return { entry, durable };
  }

  /** After a failed append: the failed entries leave, and the ones added since take their ids. */
  #dropUnstored(failed: QueueEntry[]): void {
    const drop = new Set(failed);
    const firstId = Math.min(...failed.map((e) => e.op.id));
    this.#entries = this.#entries.filter((e) => !drop.has(e));
    let next = firstId;
    for (const entry of this.#entries) {
      if (entry.op.id < firstId) continue;
      entry.op = { ...entry.op, id: next++ };
    }
    this.#lastId = next - 1;
  }

  /** Removes settled entries (confirmed or refused) from the queue and storage. */
  settle(entries: readonly QueueEntry[]): void {
    if (entries.length === 0) return;
    const gone = new Set(entries);
    for (const entry of entries) entry.settled = true;
    this.#entries = this.#entries.filter((e) => !gone.has(e));
    const ids = entries.map((e) => e.op.id);
    this.#background("removing confirmed operations", () => this.#storage.remove(this.#clientId, ids));
  }

  /**
   * Gives the queue's entries ids `firstId, firstId + 1, …` (the server has
   * applied nothing from `firstId` on): after a refused operation the server
   * never saw, or when the server is ahead of a storage that was lost.
   */
  renumber(firstId: number): void {
    let next = firstId;
    for (const entry of this.#entries) entry.op = { ...entry.op, id: next++ };
    this.#lastId = Math.max(next - 1, firstId - 1);
    const snapshot = this.#entries.filter((e) => e.durable).map((e) => e.op);
    const last = this.#lastId;
    this.#background("renumbering operations", () => this.#storage.replace(this.#clientId, snapshot, last));
  }

  /** Raises the id counter (the server has applied up to `id`). */
  raiseLastId(id: number): void {
    if (id > this.#lastId) this.#lastId = id;
  }

  setValue(key: string, value: string): Promise<void> {
    return this.#write(() => this.#storage.setValue(this.#clientId, key, value));
  }

  /** Resolves when every storage write queued so far is done. */
  async idle(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.#writing;
      await current;
    } while (current !== this.#writing);
  }

  #write(fn: () => Promise<void>): Promise<void> {
    const run = this.#writing.then(fn);
    this.#writing = run.catch(() => undefined);
    return run;
  }
}
