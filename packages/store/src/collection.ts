import type { Draft } from "immer";
import { KalphiteError, StoreErrorCode } from "./errors";
import type { CollectionState } from "./internal/collection-state";
import { liveQueryOf, type LiveQuery } from "./live/live-query";
import { compareKeys, selectorOf, type KeySelector, type SortDirection } from "./sort-keys";
import type { BaseEntity, ChangeListener, EntityId } from "./types";

// Sort keys live in their own module so live views (which the `live` accessor
// below reaches) can share them without an import cycle.
export { compareKeys, selectorOf } from "./sort-keys";
export type { KeySelector, SortDirection } from "./sort-keys";

/** @internal The collection's data; a symbol so it never shows up as an array field. */
export const STATE: unique symbol = Symbol("kalphite.collection.state");

/** An entity as written: `id` and `type` may be left out (they are taken from the call). */
export type EntityInput<T extends BaseEntity> = T extends BaseEntity
  ? Omit<T, "id" | "type"> & Partial<Pick<T, "id" | "type">>
  : never;

function unsupported(type: string, operation: string, instead: string): KalphiteError {
  return new KalphiteError(
    StoreErrorCode.UnsupportedMutation,
    `store.${type}.${operation} is not supported: it would desynchronise the collection from the store. ${instead}`,
  );
}

/**
 * The live collection of one entity type: `store.todo`. A real `Array` (every
 * read method works and returns plain arrays), kept current by the store, and
 * the place to write: `upsert`, `delete`, `update` and friends validate,
 * notify subscribers and reach the persistence sink.
 *
 * Array mutators either go through the store (`push` upserts, `pop`/`shift`/
 * `splice` without inserted items delete) or throw a `KalphiteError` naming
 * the method to use instead; index and `length` assignment throw.
 */
export class TypedCollection<T extends BaseEntity> extends Array<T> {
  declare readonly [STATE]: CollectionState<BaseEntity>;

  /** Derived arrays (`map`, `filter`, `slice`, …) are plain arrays, not collections. */
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  /** The entity type this collection holds. */
  get type(): T["type"] {
    return this[STATE].type;
  }

  /**
   * Inserts or replaces the entity with this id and returns the stored entity.
   * A replaced entity keeps its position; a new one goes last. `entity.id` and
   * `entity.type` may be omitted; when present they must match `id` and this
   * collection's type.
   * @throws ValidationError when the schema (or the `{ id, type }` check) refuses it.
   */
  upsert(id: EntityId, entity: EntityInput<T> | T): T {
    return this[STATE].core.upsert(this[STATE], id, entity, "local") as T;
  }

  /** Upserts every entity (each carries its `id`) as one batch; all are validated before any is applied. */
  upsertMany(entities: Iterable<T>): T[] {
    return this[STATE].core.upsertMany(this[STATE], entities, "local") as T[];
  }

  /** Deletes the entity with this id; returns whether there was one. */
  delete(id: EntityId): boolean {
    return this[STATE].core.delete(this[STATE], id, "local");
  }

  /** Deletes every listed id as one batch; returns how many existed. */
  deleteMany(ids: Iterable<EntityId>): number {
    return this[STATE].core.deleteMany(this[STATE], ids, "local");
  }

  /**
   * Changes an entity with an immer recipe (mutate the draft, or return a
   * replacement) and stores the result. A recipe that changes nothing stores
   * nothing and notifies no one.
   * @throws KalphiteError `NOT_FOUND` when the id is not in the collection.
   */
  update(id: EntityId, recipe: (draft: Draft<T>) => void | T): T {
    return this[STATE].core.update(this[STATE], id, recipe as (draft: Draft<BaseEntity>) => void) as T;
  }

  /** The entity with this id, in O(1). */
  findById(id: EntityId): T | undefined {
    return this[STATE].get(id) as T | undefined;
  }

  /** The entities matching `predicate`, in collection order (a plain array). */
  where(predicate: (entity: T, index: number) => boolean): T[] {
    return arrayFilter.call(this[STATE].items, predicate) as T[];
  }

  /**
   * A sorted copy. Ties keep collection order (the sort is stable).
   * @param direction @default "asc"
   */
  orderBy(key: KeySelector<T>, direction: SortDirection = "asc"): T[] {
    const select = selectorOf(key);
    const sign = direction === "desc" ? -1 : 1;
    const items = this[STATE].items as T[];
    // Decorate once so the selector runs n times, not n log n times.
    const decorated = items.map((entity, index) => ({ entity, key: select(entity), index }));
    decorated.sort((a, b) => sign * compareKeys(a.key, b.key) || a.index - b.index);
    return decorated.map((d) => d.entity);
  }

  /** Groups the entities by a key, each group in collection order. */
  groupBy<K>(keySelector: (entity: T) => K): Map<K, T[]> {
    const groups = new Map<K, T[]>();
    for (const entity of this[STATE].items as T[]) {
      const key = keySelector(entity);
      const group = groups.get(key);
      if (group) group.push(entity);
      else groups.set(key, [entity]);
    }
    return groups;
  }

  /**
   * Live queries on this collection, maintained incrementally: `live.where(p)`,
   * `.filter(p)`, `.orderBy(key, dir)`, `.limit(n)`, `.offset(n)` and
   * `.groupBy(key)` each return a view that stays current as entities change.
   * The same object on every access; it holds no data until a view is made.
   */
  get live(): LiveQuery<T> {
    return liveQueryOf(this[STATE]) as unknown as LiveQuery<T>;
  }

  /** Listens to this type's changes, once per store batch. Returns the unsubscribe function. */
  subscribe(listener: ChangeListener<T>): () => void {
    return this[STATE].core.subscribeType(this[STATE], listener as unknown as ChangeListener<BaseEntity>);
  }

  /** Upserts each entity (each must carry its `id`); returns the new length. */
  override push(...entities: T[]): number {
    this[STATE].core.upsertMany(this[STATE], entities, "local");
    return this[STATE].items.length;
  }

  /** Deletes the last entity and returns it. */
  override pop(): T | undefined {
    const items = this[STATE].items;
    const last = items[items.length - 1] as T | undefined;
    if (last !== undefined) this[STATE].core.delete(this[STATE], last.id, "local");
    return last;
  }

  /** Deletes the first entity and returns it. */
  override shift(): T | undefined {
    const first = this[STATE].items[0] as T | undefined;
    if (first !== undefined) this[STATE].core.delete(this[STATE], first.id, "local");
    return first;
  }

  /** Deletes `deleteCount` entities from `start` and returns them; inserting items is not supported. */
  override splice(start: number, deleteCount?: number, ...items: T[]): T[] {
    const state = this[STATE];
    if (items.length > 0) {
      throw unsupported(state.type, "splice(start, count, ...items)", "A collection keeps insertion order; insert with upsert(id, entity) and read sorted with orderBy().");
    }
    const length = state.items.length;
    const from = start < 0 ? Math.max(length + Math.trunc(start), 0) : Math.min(Math.trunc(start) || 0, length);
    const count = arguments.length < 2 ? length - from : Math.min(Math.max(Math.trunc(deleteCount ?? 0), 0), length - from);
    const removed = state.items.slice(from, from + count) as T[];
    if (removed.length) this[STATE].core.deleteMany(state, removed.map((e) => e.id), "local");
    return removed;
  }

  override unshift(..._entities: T[]): number {
    throw unsupported(this[STATE].type, "unshift()", "A collection keeps insertion order; use upsert(id, entity), which appends.");
  }

  override sort(_compare?: (a: T, b: T) => number): this {
    throw unsupported(this[STATE].type, "sort()", "Use orderBy(key, direction) or [...collection].sort() for a sorted copy.");
  }

  override reverse(): T[] {
    throw unsupported(this[STATE].type, "reverse()", "Use orderBy(key, \"desc\") or [...collection].reverse() for a reversed copy.");
  }

  override fill(_value: T, _start?: number, _end?: number): this {
    throw unsupported(this[STATE].type, "fill()", "Write entities with upsert(id, entity) or upsertMany(entities).");
  }

  override copyWithin(_target: number, _start: number, _end?: number): this {
    throw unsupported(this[STATE].type, "copyWithin()", "Write entities with upsert(id, entity) or upsertMany(entities).");
  }
}

const arrayFilter = Array.prototype.filter;

// Read methods run on the raw array, a plain Array, so V8's fast paths apply
// (they do not on Array subclass instances). Their types are Array's.
const READ_METHODS = [
  "at", "concat", "entries", "every", "filter", "find", "findIndex", "findLast", "findLastIndex", "flat",
  "flatMap", "forEach", "includes", "indexOf", "join", "keys", "lastIndexOf", "map", "reduce", "reduceRight",
  "slice", "some", "toLocaleString", "toString", "values", "toReversed", "toSorted", "toSpliced", "with",
] as const;
for (const name of READ_METHODS) {
  const native = (Array.prototype as unknown as Record<string, (...args: unknown[]) => unknown>)[name];
  if (typeof native !== "function") continue;
  Object.defineProperty(TypedCollection.prototype, name, {
    value: function readOnRaw(this: TypedCollection<BaseEntity>) {
      // eslint-disable-next-line prefer-rest-params
      return native.apply(this[STATE].items, arguments as unknown as unknown[]);
    },
    writable: true,
    configurable: true,
  });
}
const arrayValues = Array.prototype.values;
Object.defineProperty(TypedCollection.prototype, Symbol.iterator, {
  value: function iterateRaw(this: TypedCollection<BaseEntity>) {
    return arrayValues.call(this[STATE].items);
  },
  writable: true,
  configurable: true,
});

type Member = { readonly value: unknown; readonly get?: undefined } | { readonly value?: undefined; readonly get: () => unknown };

/**
 * Everything `TypedCollection.prototype` adds over `Array.prototype`: what
 * every collection's raw array carries as its own members.
 */
const MEMBERS: Record<PropertyKey, Member | undefined> = Object.create(null);
for (const key of Reflect.ownKeys(TypedCollection.prototype)) {
  const descriptor = Object.getOwnPropertyDescriptor(TypedCollection.prototype, key)!;
  MEMBERS[key] = descriptor.get ? { get: descriptor.get } : { value: descriptor.value };
}

/** Adds a member to every collection created afterwards; for store-internal extensions. */
export function defineCollectionMember(key: PropertyKey, descriptor: PropertyDescriptor): void {
  Object.defineProperty(TypedCollection.prototype, key, { ...descriptor, configurable: true });
  MEMBERS[key] = descriptor.get ? { get: descriptor.get } : { value: descriptor.value };
}

function assignmentError(type: string, property: string | symbol): KalphiteError {
  if (property === "length") {
    return unsupported(type, "length = n", "Delete with delete(id), deleteMany(ids) or store.clear().");
  }
  if (typeof property === "string" && /^\d+$/.test(property)) {
    return unsupported(type, `[${property}] = entity`, "Write with upsert(id, entity).");
  }
  return unsupported(type, `${String(property)} = …`, "A collection's fields are read-only; write entities with upsert(id, entity).");
}

/**
 * The handler of one collection's Proxy. Its target is the raw array (a plain
 * `Array`, so builtins keep their fast paths) carrying the collection's
 * members as its own non-enumerable properties, bound to the collection's
 * data: while the array is current, reads have no trap at all and go
 * straight to it. Writes are refused; the store mutates the target directly.
 *
 * While deletes have left tombstones in the raw array (see
 * `CollectionState`), a `get` trap is installed: a member read passes
 * through untouched, any other read (an index, `length`) compacts the array
 * first, which removes the trap again.
 */
function guard(state: CollectionState<BaseEntity>): ProxyHandler<BaseEntity[]> {
  const type = state.type;
  const settle = () => {
    if (state.size !== state.array.length) void state.items; // compacts
  };
  const staleGet = (target: BaseEntity[], key: PropertyKey, receiver: unknown): unknown => {
    if (key !== STATE && MEMBERS[key] === undefined) settle();
    return Reflect.get(target, key, receiver);
  };
  const handler: ProxyHandler<BaseEntity[]> = {
    has(target, key) {
      if (key === STATE || MEMBERS[key] !== undefined) return true;
      settle();
      return key in target;
    },
    ownKeys(target) {
      settle();
      return Reflect.ownKeys(target);
    },
    getOwnPropertyDescriptor(target, key) {
      settle();
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
    getPrototypeOf() {
      return TypedCollection.prototype;
    },
    set(_target, key) {
      throw assignmentError(type, key);
    },
    defineProperty(_target, key) {
      throw assignmentError(type, key);
    },
    deleteProperty(_target, key) {
      throw unsupported(type, `delete [${String(key)}]`, "Delete entities with delete(id).");
    },
    preventExtensions() {
      throw unsupported(type, "freeze/seal/preventExtensions", "A collection stays live; entities inside it are frozen already.");
    },
    setPrototypeOf() {
      throw unsupported(type, "setPrototypeOf", "A collection's prototype is fixed.");
    },
  };
  state.onStale = (stale) => {
    (handler as { get?: unknown }).get = stale ? staleGet : undefined;
  };
  return handler;
}

/**
 * Puts the collection's members on its raw array as own, non-enumerable
 * properties: methods bound to a plain carrier of the data (a call reads no
 * Proxy inside), accessors likewise. `constructor` is left to `Array`
 * (an own `constructor` on an array would cost every array in the process its
 * fast species checks); `getPrototypeOf` answers `TypedCollection.prototype`.
 */
function installMembers(state: CollectionState<BaseEntity>): void {
  const carrier = { [STATE]: state };
  const descriptors: PropertyDescriptorMap = { [STATE]: { value: state } };
  for (const key of Reflect.ownKeys(MEMBERS)) {
    if (key === "constructor") continue;
    const member = MEMBERS[key]!;
    if (member.get !== undefined) descriptors[key] = { get: member.get.bind(carrier) };
    else if (typeof member.value === "function") descriptors[key] = { value: (member.value as (...args: unknown[]) => unknown).bind(carrier) };
    else descriptors[key] = { value: member.value };
  }
  Object.defineProperties(state.array, descriptors);
}

/** @internal Wraps a collection's state in the guarded, live array users see. */
export function createCollection(state: CollectionState<BaseEntity>): TypedCollection<BaseEntity> {
  installMembers(state);
  return new Proxy(state.array, guard(state)) as unknown as TypedCollection<BaseEntity>;
}
