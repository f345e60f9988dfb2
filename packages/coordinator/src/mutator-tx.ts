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

/**
 * `{ ...entity, id, type }` with `id` and `type` as the first keys: the
 * store's entities have that shape, and one built in that order is written
 * about 2.5× faster than a spread that appends them.
 */
function withKey(type: string, id: string, entity: Record<string, unknown>): Entity {
  // A spread defines keys (an own "__proto__" stays data); the two leading keys keep their place.
  const out: Record<string, unknown> = { id, type, ...entity };
  out.id = id;
  out.type = type;
  return out as Entity;
}

/** Thrown by a closed `StoreTx` (an async mutator kept running after its synchronous attempt). */
export const CLOSED = Symbol("closed");

/**
 * A synchronous mutator's first run: reads the store through its own
 * buffered writes, writes nothing to the store itself (the client applies
 * `writes` once the mutator has returned). Closed afterwards: an async
 * mutator's later calls throw.
 */
export class StoreTx implements ClientMutatorTransaction {
  readonly #store: KalphiteStore<any>;
  /** Buffered writes, one per key, in the order of their last write; `next` undefined = delete. Mutators write a few entities: a list beats a map. */
  readonly writes: { type: string; id: string; next: Entity | undefined; prev?: Entity | undefined }[] = [];
  open = true;
  constructor(
    store: KalphiteStore<any>,
    readonly clientId: string,
    readonly operationId: number,
  ) {
    this.#store = store;
  }
  #find(type: string, id: string): number {
    const writes = this.writes;
    for (let i = 0; i < writes.length; i++) if (writes[i]!.id === id && writes[i]!.type === type) return i;
    return -1;
  }
  #read(type: string, id: string): Entity | undefined {
    const i = this.#find(type, id);
    return i >= 0 ? this.writes[i]!.next : (this.#store.getById(type, id) as Entity | undefined);
  }
  #all(type: string): Entity[] {
    const out = new Map<string, Entity>();
    for (const e of this.#store.getByType(type) as readonly Entity[]) out.set(e.id, e);
    for (const w of this.writes) {
      if (w.type !== type) continue;
      if (w.next === undefined) out.delete(w.id);
      else out.set(w.id, w.next);
    }
    return [...out.values()].sort(byId);
  }
  #write(type: string, id: string, next: Entity | undefined): void {
    const i = this.#find(type, id);
    if (i >= 0) this.writes.splice(i, 1);
    this.writes.push({ type, id, next, prev: undefined });
  }
  get<T extends Entity = Entity>(type: string, id: string): Promise<T | undefined> {
    if (!this.open) throw CLOSED;
    return Promise.resolve(this.#read(type, id) as T | undefined);
  }
  getByType<T extends Entity = Entity>(type: string): Promise<T[]> {
    if (!this.open) throw CLOSED;
    return Promise.resolve(this.#all(type) as T[]);
  }
  query<T extends Entity = Entity>(type: string, predicate?: (entity: T) => boolean): Promise<T[]> {
    if (!this.open) throw CLOSED;
    const all = this.#all(type) as T[];
    return Promise.resolve(predicate ? all.filter(predicate) : all);
  }
  upsert(type: string, id: string, entity: Record<string, unknown>): Promise<void> {
    if (!this.open) throw CLOSED;
    checkUpsert(type, id, entity);
    this.#write(type, id, withKey(type, id, entity));
    return RESOLVED;
  }
  delete(type: string, id: string): Promise<void> {
    if (!this.open) throw CLOSED;
    this.#write(type, id, undefined);
    return RESOLVED;
  }
}

/** One settled promise for every write: `await tx.upsert(…)` needs a thenable, not a new one each time. */
const RESOLVED: Promise<void> = Promise.resolve();

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
    this.#slice.set(type, id, withKey(type, id, entity));
  }
  async delete(type: string, id: string): Promise<void> {
    this.#slice.set(type, id, undefined);
  }
}
