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

/** Writes straight to the store; closed once the synchronous run is over. */
export class StoreTx implements ClientMutatorTransaction {
  readonly #store: KalphiteStore<any>;
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
  get<T extends Entity = Entity>(type: string, id: string): Promise<T | undefined> {
    this.#check();
    return Promise.resolve(this.#store.getById(type, id) as T | undefined);
  }
  getByType<T extends Entity = Entity>(type: string): Promise<T[]> {
    this.#check();
    return Promise.resolve(([...this.#store.getByType(type)] as T[]).sort(byId));
  }
  query<T extends Entity = Entity>(type: string, predicate?: (entity: T) => boolean): Promise<T[]> {
    this.#check();
    const all = ([...this.#store.getByType(type)] as T[]).sort(byId);
    return Promise.resolve(predicate ? all.filter(predicate) : all);
  }
  upsert(type: string, id: string, entity: Record<string, unknown>): Promise<void> {
    this.#check();
    checkUpsert(type, id, entity);
    this.#store.getByType(type).upsert(id, { ...entity, id, type } as Entity);
    return Promise.resolve();
  }
  delete(type: string, id: string): Promise<void> {
    this.#check();
    if (this.#store.getById(type, id) !== undefined) this.#store.getByType(type).delete(id);
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
