/**
 * A slice of the store seen as the JSON document `{ [type]: { [id]: entity } }`:
 * only the entities something touched are loaded (lazily, from the store),
 * the rest read through to the store. The optimistic client undoes, applies
 * server state and re-runs operations on a slice, then writes the difference
 * to the store in one batch.
 */
import type { Entity, KalphiteStore } from "@kalphite/store";
import type { Patch } from "./json-patch";
import { formatPointer, parsePointer } from "./json-pointer";
import { deepEqual, hasOwn, setOwn } from "./json-value";

type AnyStore = Pick<KalphiteStore<any>, "getById" | "getByType" | "types">;

export class EntitySlice {
  readonly #store: AnyStore;
  /** The document; `doc[type]` exists for every type loaded. */
  doc: Record<string, Record<string, Entity>> = {};
  readonly #loaded = new Map<string, Set<string>>();

  constructor(store: AnyStore) {
    this.#store = store;
  }

  readonly #wholeTypes = new Set<string>();

  #ids(type: string): Set<string> {
    let ids = this.#loaded.get(type);
    if (!ids) {
      this.#loaded.set(type, (ids = new Set()));
      setOwn(this.doc, type, {});
    }
    return ids;
  }

  /** Loads `(type, id)` from the store unless it is loaded already. */
  load(type: string, id: string): void {
    const ids = this.#ids(type);
    if (ids.has(id)) return;
    ids.add(id);
    const entity = this.#store.getById(type, id) as Entity | undefined;
    if (entity !== undefined) setOwn(this.doc[type]!, id, entity);
  }

  /** Loads every entity a patch's paths name (and the type containers of the others). */
  loadPaths(patches: readonly Patch[]): void {
    for (const op of patches) {
      for (const pointer of op.from === undefined ? [op.path] : [op.path, op.from]) {
        const tokens = parsePointer(pointer);
        if (!tokens || tokens.length === 0) continue;
        if (tokens.length === 1) this.loadType(tokens[0]!);
        else this.load(tokens[0]!, tokens[1]!);
      }
    }
  }

  /** Loads every entity of `type`. */
  loadType(type: string): void {
    this.#ids(type);
    if (this.#wholeTypes.has(type)) return;
    this.#wholeTypes.add(type);
    for (const entity of this.#store.getByType(type) as readonly Entity[]) this.load(type, entity.id);
  }

  /** Loads everything in the store (for a full-state reset). */
  loadAll(): void {
    for (const type of this.#store.types() as string[]) this.loadType(type);
  }

  get(type: string, id: string): Entity | undefined {
    this.load(type, id);
    const byId = this.doc[type]!;
    return hasOwn(byId, id) ? byId[id] : undefined;
  }

  /** Every entity of `type` as the slice sees it, ordered by id (as the server orders them). */
  getByType(type: string): Entity[] {
    this.loadType(type);
    const byId = this.doc[type]!;
    return Object.keys(byId)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((id) => byId[id]!);
  }

  /** Marks `(type, id)` loaded without reading the store (its value is about to be set). */
  claim(type: string, id: string): void {
    this.#ids(type).add(id);
  }

  /** Whole-entity patches turning the store's current state into this slice. */
  diff(): Patch[] {
    const out: Patch[] = [];
    for (const [type, ids] of this.#loaded) {
      const byId = this.doc[type]!;
      for (const id of ids) {
        const next = hasOwn(byId, id) ? byId[id] : undefined;
        const current = this.#store.getById(type, id) as Entity | undefined;
        const path = formatPointer([type, id]);
        if (next === undefined) {
          if (current !== undefined) out.push({ op: "remove", path });
        } else if (current === undefined) out.push({ op: "add", path, value: next });
        else if (next !== current && !deepEqual(next, current)) out.push({ op: "replace", path, value: next });
      }
    }
    return out;
  }
}
