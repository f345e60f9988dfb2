/**
 * A slice of the store seen as the JSON document `{ [type]: { [id]: entity } }`:
 * only the entities something touched are loaded (lazily, from the store);
 * the rest read through to the store. The optimistic client undoes, applies
 * server state and re-runs operations on a slice, then writes the difference
 * to the store in one batch. The slice owns its containers (never the
 * store's), so writes are O(1); entities themselves are never changed in
 * place, only replaced.
 */
import type { Entity, KalphiteStore, RemoteChange } from "@kalphite/store";
import { applyPatch, type Patch } from "./json-patch";
import { formatPointer, parsePointer } from "./json-pointer";
import { deepEqual, hasOwn, setOwn } from "./json-value";

type AnyStore = Pick<KalphiteStore<any>, "getById" | "getByType" | "types">;

/** The first previous value of every key one operation wrote, in write order. */
export type Journal = Map<string, { readonly type: string; readonly id: string; readonly prev: Entity | undefined }>;

const keyOf = (type: string, id: string) => `${type.length}:${type}${id}`;

export class EntitySlice {
  readonly #store: AnyStore;
  #doc: Record<string, Record<string, Entity>> = {};
  readonly #loaded = new Map<string, Set<string>>();
  readonly #wholeTypes = new Set<string>();
  #journal: Journal | undefined;

  constructor(store: AnyStore) {
    this.#store = store;
  }

  #ids(type: string): Set<string> {
    let ids = this.#loaded.get(type);
    if (!ids) {
      this.#loaded.set(type, (ids = new Set()));
      setOwn(this.#doc, type, {});
    }
    return ids;
  }

  /** Loads `(type, id)` from the store unless it is loaded already. */
  load(type: string, id: string): void {
    const ids = this.#ids(type);
    if (ids.has(id)) return;
    ids.add(id);
    const entity = this.#store.getById(type, id) as Entity | undefined;
    if (entity !== undefined) setOwn(this.#doc[type]!, id, entity);
  }

  /** Loads every entity a patch's paths name (and every entity of a type a path names as a whole). */
  loadPaths(patches: readonly Patch[]): void {
    for (const op of patches) {
      this.#loadPointer(op.path);
      if (op.from !== undefined) this.#loadPointer(op.from);
    }
  }

  #loadPointer(pointer: string): void {
    const tokens = parsePointer(pointer);
    if (!tokens || tokens.length === 0) this.loadAll();
    else if (tokens.length === 1) this.loadType(tokens[0]!);
    else this.load(tokens[0]!, tokens[1]!);
  }

  /** Loads every entity of `type`. */
  loadType(type: string): void {
    this.#ids(type);
    if (this.#wholeTypes.has(type)) return;
    this.#wholeTypes.add(type);
    for (const entity of this.#store.getByType(type) as readonly Entity[]) this.load(type, entity.id);
  }

  /** Loads everything in the store. */
  loadAll(): void {
    for (const type of this.#store.types() as string[]) this.loadType(type);
  }

  /** Applies JSON Patches (paths `/<type>/<id>…`) in one pass; the entities they name must be loaded (`loadPaths`). */
  apply(patches: readonly Patch[]): void {
    if (patches.length > 0) this.#doc = applyPatch(this.#doc, patches);
  }

  get(type: string, id: string): Entity | undefined {
    this.load(type, id);
    const byId = this.#doc[type]!;
    return hasOwn(byId, id) ? byId[id] : undefined;
  }

  /** Every entity of `type` as the slice sees it, ordered by id (as the server orders them). */
  getByType(type: string): Entity[] {
    this.loadType(type);
    const byId = this.#doc[type]!;
    return Object.keys(byId)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((id) => byId[id]!);
  }

  /** Writes (or, with `undefined`, removes) `(type, id)`, recording the previous value in the open journal. */
  set(type: string, id: string, entity: Entity | undefined): void {
    this.load(type, id);
    const byId = this.#doc[type]!;
    const prev = hasOwn(byId, id) ? byId[id] : undefined;
    const key = keyOf(type, id);
    if (this.#journal && !this.#journal.has(key)) this.#journal.set(key, { type, id, prev });
    if (entity === undefined) delete byId[id];
    else setOwn(byId, id, entity);
  }

  /** Starts recording writes (one operation's run). */
  begin(): Journal {
    this.#journal = new Map();
    return this.#journal;
  }

  /** Stops recording; with `undo`, puts back what the journal's writes replaced. */
  end(journal: Journal, undo: boolean): void {
    this.#journal = undefined;
    if (!undo) return;
    for (const { type, id, prev } of [...journal.values()].reverse()) this.set(type, id, prev);
  }

  /** The net effect of a journal as whole-entity patches, and their inverse. */
  effect(journal: Journal): { patches: Patch[]; inverse: Patch[] } {
    const patches: Patch[] = [];
    const inverse: Patch[] = [];
    for (const { type, id, prev } of journal.values()) {
      const byId = this.#doc[type]!;
      const next = hasOwn(byId, id) ? byId[id] : undefined;
      const path = formatPointer([type, id]);
      if (next === undefined) {
        if (prev === undefined) continue;
        patches.push({ op: "remove", path });
        inverse.push({ op: "add", path, value: prev });
      } else if (prev === undefined) {
        patches.push({ op: "add", path, value: next });
        inverse.push({ op: "remove", path });
      } else {
        patches.push({ op: "replace", path, value: next });
        inverse.push({ op: "replace", path, value: prev });
      }
    }
    return { patches, inverse: inverse.reverse() };
  }

  /** What a journal's writes left, per key, in write order. */
  *written(journal: Journal): Generator<{ type: string; id: string; next: Entity | undefined }> {
    for (const { type, id } of journal.values()) {
      const byId = this.#doc[type]!;
      yield { type, id, next: hasOwn(byId, id) ? byId[id] : undefined };
    }
  }

  /** The store changes (remote upserts and deletes) turning the store's current state into this slice. */
  changes(): RemoteChange[] {
    const out: RemoteChange[] = [];
    for (const [type, ids] of this.#loaded) {
      const byId = this.#doc[type]!;
      for (const id of ids) {
        const next = hasOwn(byId, id) ? byId[id] : undefined;
        const current = this.#store.getById(type, id) as Entity | undefined;
        if (next === undefined) {
          if (current !== undefined) out.push({ operation: "delete", entityType: type, entityId: id });
        } else if (current === undefined || (next !== current && !deepEqual(next, current))) {
          out.push({ operation: "upsert", entityType: type, entityId: id, entity: next });
        }
      }
    }
    return out;
  }

  /** Removes every entity of `types` (load them whole first, so the removals reach the store). */
  clearTypes(types: Iterable<string>): void {
    for (const type of types) {
      this.#ids(type);
      setOwn(this.#doc, type, {});
    }
  }
}
