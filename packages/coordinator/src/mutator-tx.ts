/**
 * The two `ClientMutatorTransaction`s: one straight on the store (a
 * synchronous mutator's first run, inside `store.transaction`), one on an
 * `EntitySlice` (asynchronous mutators and every re-run during a rebase).
 */
import type { Entity, KalphiteStore } from "@kalphite/store";
import type { EntitySlice } from "./entity-slice";
import { CoordinatorError, CoordinatorErrorCode } from "./errors";
import type { ClientMutatorTransaction } from "./optimistic-client";

const byId = (a: Entity, b: Entity) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function checkUpsert(type: unknown, id: unknown, entity: unknown): void {
  if (typeof type !== "string" || type === "" || typeof id !== "string" || id === "" || typeof entity !== "object" || entity === null || Array.isArray(entity)) {
    throw new CoordinatorError(CoordinatorErrorCode.InvalidMutation, `tx.upsert(type, id, entity): needs a non-empty type and id and an object, got ${JSON.stringify([type, id])}`);
  }
}

/** Thrown by a closed `StoreTx` (an async mutator kept running after its synchronous attempt). */
export const CLOSED = Symbol("closed");

const keyOf = (type: string, id: string) => `${type.length}:${type}${id}`;

/**
 * A synchronous mutator's first run: reads the store through its own
 * buffered writes, writes nothing to the store itself (the client applies
 * `writes` once the mutator has returned). Closed afterwards: an async
 * mutator's later calls throw.
 */
export class StoreTx implements ClientMutatorTransaction {
  readonly #store: KalphiteStore<any>;
  /** Buffered writes in order; `next` undefined = delete. */
  readonly writes = new Map<string, { type: string; id: string; next: Entity | undefined }>();
  open = true;
  constructor(
    store: KalphiteStore<any>,
    readonly clientId: string,
    readonly operationId: number,
  ) {
    this.#store = store;
  }
  #check(): void {
    if (!this.open) throw CLOSED;
  }
  #read(type: string, id: string): Entity | undefined {
    const w = this.writes.size === 0 ? undefined : this.writes.get(keyOf(type, id));
    return w ? w.next : (this.#store.getById(type, id) as Entity | undefined);
  }
  #all(type: string): Entity[] {
    const out = new Map<string, Entity>();
    for (const e of this.#store.getByType(type) as readonly Entity[]) out.set(e.id, e);
    for (const w of this.writes.values()) {
      if (w.type !== type) continue;
      if (w.next === undefined) out.delete(w.id);
      else out.set(w.id, w.next);
    }
    return [...out.values()].sort(byId);
  }
  get<T extends Entity = Entity>(type: string, id: string): Promise<T | undefined> {
    this.#check();
    return Promise.resolve(this.#read(type, id) as T | undefined);
  }
  getByType<T extends Entity = Entity>(type: string): Promise<T[]> {
    this.#check();
    return Promise.resolve(this.#all(type) as T[]);
  }
  query<T extends Entity = Entity>(type: string, predicate?: (entity: T) => boolean): Promise<T[]> {
    this.#check();
    const all = this.#all(type) as T[];
    return Promise.resolve(predicate ? all.filter(predicate) : all);
  }
  upsert(type: string, id: string, entity: Record<string, unknown>): Promise<void> {
    this.#check();
    checkUpsert(type, id, entity);
    const key = keyOf(type, id);
    // Re-inserted so the map keeps the order of last writes.
    this.writes.delete(key);
    this.writes.set(key, { type, id, next: { ...entity, id, type } as Entity });
    return Promise.resolve();
  }
  delete(type: string, id: string): Promise<void> {
    this.#check();
    const key = keyOf(type, id);
    this.writes.delete(key);
    this.writes.set(key, { type, id, next: undefined });
    return Promise.resolve();
  }
}

/** Reads and writes an `EntitySlice`. */
export class SliceTx implements ClientMutatorTransaction {
  readonly #slice: EntitySlice;
  constructor(
    slice: EntitySlice,
    readonly clientId: string,
    readonly operationId: number,
  ) {
    this.#slice = slice;
  }
  async get<T extends Entity = Entity>(type: string, id: string): Promise<T | undefined> {
    return this.#slice.get(type, id) as T | undefined;
  }
  async getByType<T extends Entity = Entity>(type: string): Promise<T[]> {
    return this.#slice.getByType(type) as T[];
  }
  async query<T extends Entity = Entity>(type: string, predicate?: (entity: T) => boolean): Promise<T[]> {
    const all = this.#slice.getByType(type) as T[];
    return predicate ? all.filter(predicate) : all;
  }
  async upsert(type: string, id: string, entity: Record<string, unknown>): Promise<void> {
    checkUpsert(type, id, entity);
    this.#slice.set(type, id, { ...entity, id, type } as Entity);
  }
  async delete(type: string, id: string): Promise<void> {
    this.#slice.set(type, id, undefined);
  }
}
