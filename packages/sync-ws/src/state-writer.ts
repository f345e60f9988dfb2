import type { SyncStateStorage, SyncStateWrite } from "./storage/state-storage";
import type { ChangeMessage } from "./types";
import type { EntityVersion } from "./version";

/** The writes gathered in one tick. */
export interface PendingWrite {
  clientId?: string;
  cursor?: number;
  epoch?: string;
  readonly versions: Map<string, EntityVersion>;
  readonly enqueue: Map<string, ChangeMessage>;
  readonly dequeue: Set<string>;
}

/**
 * Write-behind to a `SyncStateStorage`: everything staged in one tick goes
 * to storage as one atomic write, and writes run one after the other.
 */
export class StateWriter {
  readonly #storage: SyncStateStorage;
  readonly #scope: string;
  readonly #onError: (error: unknown) => void;
  #pending: { write: PendingWrite; done: Promise<void> } | undefined;
  #tail: Promise<void> = Promise.resolve();

  /** @param onError called once per failed write (the promises of `stage` reject too). */
  constructor(storage: SyncStateStorage, scope: string, onError: (error: unknown) => void) {
    this.#storage = storage;
    this.#scope = scope;
    this.#onError = onError;
  }

  /** Resolves when every write staged so far is done (failed ones included). */
  get idle(): Promise<void> {
    return this.#tail;
  }

  /** Adds to the write of this tick; resolves when that write is durable. */
  stage(fill: (write: PendingWrite) => void): Promise<void> {
    let pending = this.#pending;
    if (pending === undefined) {
      const write: PendingWrite = { versions: new Map(), enqueue: new Map(), dequeue: new Set() };
      const done = this.#tail.then(() => {
        if (this.#pending?.write === write) this.#pending = undefined;
        return this.#storage.write(this.#scope, toStorageWrite(write));
      });
      this.#tail = done.catch((error: unknown) => this.#onError(error));
      pending = { write, done };
      this.#pending = pending;
    }
    fill(pending.write);
    return pending.done;
  }

  /** Stages removing `messageId` from the queue (dropping it from this tick's enqueue when it is there). */
  dequeue(messageId: string): void {
    this.stage((write) => {
      if (!write.enqueue.delete(messageId)) write.dequeue.add(messageId);
    }).catch(noop);
  }

  /** Stages a value without waiting for it (failures go to `onError`). */
  later(fill: (write: PendingWrite) => void): void {
    this.stage(fill).catch(noop);
  }
}

function toStorageWrite(write: PendingWrite): SyncStateWrite {
  return {
    ...(write.clientId === undefined ? {} : { clientId: write.clientId }),
    ...(write.cursor === undefined ? {} : { cursor: write.cursor }),
    ...(write.epoch === undefined ? {} : { epoch: write.epoch }),
    versions: [...write.versions.values()],
    enqueue: [...write.enqueue.values()],
    dequeue: [...write.dequeue],
  };
}

function noop(): void {}
