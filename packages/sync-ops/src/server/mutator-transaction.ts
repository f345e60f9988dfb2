import type { Entity } from "@kalphite/store";
import type { SyncStorageTransaction } from "../storage/types";
import { checkEntity, type ServerSchema } from "./entity-check";

/**
 * What a mutator reads and writes through. The same four methods exist on the
 * client (layer 6), so one mutator runs on both sides. Writes are checked
 * against the server's schema; every method returns a Promise (await it, or
 * not: calls are applied in the order they were made either way).
 */
export interface MutatorTransaction {
  /** The entity `(type, id)` as this operation sees it, or `undefined`. */
  get<TEntity extends Entity = Entity>(type: string, id: string): Promise<TEntity | undefined>;
  /** Every entity of `type` as this operation sees it, ordered by id. */
  getByType<TEntity extends Entity = Entity>(type: string): Promise<TEntity[]>;
  /** Writes an entity (missing `id`/`type` are filled in; the schema must accept it). */
  upsert(type: string, id: string, entity: Record<string, unknown>): Promise<void>;
  /** Deletes `(type, id)` (a no-op when absent, still recorded as a deletion). */
  delete(type: string, id: string): Promise<void>;
  /** The client whose operation this is. */
  readonly clientId: string;
  /** The operation's id. */
  readonly operationId: number;
}

/** A named operation's server implementation. Throwing refuses the operation (its writes are dropped). */
export type Mutator = (tx: MutatorTransaction, ...args: any[]) => void | Promise<void>;

/** Writes keyed by `(type, id)`; `null` marks a deletion. */
export type WriteSet = Map<string, { type: string; id: string; entity: Entity | null }>;

/** Key of `(type, id)` in a `WriteSet`. */
export const writeKey = (type: string, id: string): string => `${type.length}:${type}${id}`;

/** A storage error met inside a mutator: it fails the whole push, not just the operation. */
export class StorageFailure extends Error {
  constructor(cause: unknown) {
    super(`storage failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "StorageFailure";
  }
}

const copy = <T>(value: T): T => (value === null || value === undefined ? value : (structuredClone(value) as T));

/**
 * One operation's view: its own writes over the push group's writes over the
 * storage. `finish()` waits for every call the mutator made and reports the
 * first failure; on success the caller merges `writes` into the group's.
 */
export class OperationScope {
  readonly writes: WriteSet = new Map();
  readonly #group: WriteSet;
  readonly #storage: SyncStorageTransaction;
  readonly #schema: ServerSchema | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #error: unknown;
  #storageError: StorageFailure | undefined;
  #closed = false;

  constructor(group: WriteSet, storage: SyncStorageTransaction, schema: ServerSchema | undefined) {
    this.#group = group;
    this.#storage = storage;
    this.#schema = schema;
  }

  #seen(type: string, id: string): { entity: Entity | null } | undefined {
    const key = writeKey(type, id);
    return this.writes.get(key) ?? this.#group.get(key);
  }

  #read<T>(fn: () => Promise<T>): Promise<T> {
    return fn().catch((error: unknown) => {
      const failure = new StorageFailure(error);
      this.#storageError ??= failure;
      throw failure;
    });
  }

  /** Queues `fn` after the calls made before it; records its failure. */
  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      const late = Promise.reject<T>(new Error("this operation's transaction is closed: the mutator returned before calling it"));
      late.catch(() => undefined); // never an unhandled rejection, awaited or not
      return late;
    }
    const run = this.#chain.then(fn);
    this.#chain = run.catch((error: unknown) => {
      this.#error ??= error;
    });
    return run;
  }

  /** The `tx` handed to the mutator. */
  transaction(clientId: string, operationId: number): MutatorTransaction {
    return {
      clientId,
      operationId,
      get: <TEntity extends Entity = Entity>(type: string, id: string) =>
        this.#enqueue(async () => {
          const seen = this.#seen(type, id);
          if (seen) return (copy(seen.entity) ?? undefined) as TEntity | undefined;
          return (await this.#read(() => this.#storage.get(type, id))) as TEntity | undefined;
        }),
      getByType: <TEntity extends Entity = Entity>(type: string) =>
        this.#enqueue(async () => {
          const stored = await this.#read(() => this.#storage.getByType(type));
          const byId = new Map<string, Entity>(stored.map((e) => [e.id, e]));
          for (const layer of [this.#group, this.writes]) {
            for (const write of layer.values()) {
              if (write.type !== type) continue;
              if (write.entity === null) byId.delete(write.id);
              else byId.set(write.id, copy(write.entity));
            }
          }
          return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) as TEntity[];
        }),
      upsert: (type, id, entity) =>
        this.#enqueue(async () => {
          const checked = await checkEntity(this.#schema, type, id, entity);
          this.writes.set(writeKey(type, id), { type, id, entity: checked });
        }),
      delete: (type, id) =>
        this.#enqueue(async () => {
          if (typeof type !== "string" || type === "" || typeof id !== "string" || id === "") {
            throw new Error(`delete(type, id): both must be non-empty strings`);
          }
          this.writes.set(writeKey(type, id), { type, id, entity: null });
        }),
    };
  }

  /** Waits for the mutator's calls; throws a `StorageFailure`, or the first failed call's error. */
  async finish(): Promise<void> {
    await this.#chain;
    this.#closed = true;
    if (this.#storageError) throw this.#storageError;
    if (this.#error !== undefined) throw this.#error;
  }

  /** Closes the scope after a mutator threw (its calls still settle first). */
  async abandon(): Promise<void> {
    await this.#chain;
    this.#closed = true;
    if (this.#storageError) throw this.#storageError;
  }
}
