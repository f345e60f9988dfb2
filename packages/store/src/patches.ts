import { KalphiteError, StoreErrorCode } from "./errors";
import type { BaseEntity, EntityId } from "./types";

/**
 * One RFC 6902 JSON Patch operation on the store seen as one JSON document,
 * `{ [type]: { [id]: entity } }`: `/<type>/<id>` is a whole entity,
 * `/<type>/<id>/<field>/…` a value inside it (RFC 6901 pointers: `~` is
 * written `~0`, `/` is written `~1`).
 */
export interface JsonPatchOperation {
  readonly op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  /** An RFC 6901 JSON Pointer, such as `/todo/t1/title`. */
  readonly path: string;
  /** The value of `add`, `replace` and `test`. */
  readonly value?: unknown;
  /** The source pointer of `move` and `copy`. */
  readonly from?: string;
}

const OPS = new Set(["add", "remove", "replace", "move", "copy", "test"]);

/** One pointer segment, escaped (`~` → `~0`, `/` → `~1`). */
export function escapeSegment(segment: string): string {
  if (segment.indexOf("~") < 0 && segment.indexOf("/") < 0) return segment;
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** The segments of an RFC 6901 pointer; throws on a malformed one. */
export function parsePointer(pointer: string, where: string): string[] {
  if (typeof pointer !== "string" || (pointer !== "" && pointer[0] !== "/")) {
    throw new KalphiteError(StoreErrorCode.InvalidArgument, `${where}: ${JSON.stringify(pointer)} is not a JSON Pointer (it must start with "/")`);
  }
  if (pointer === "") return [];
  const segments = pointer.slice(1).split("/");
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s.indexOf("~") < 0) continue;
    if (/~(?![01])/.test(s)) {
      throw new KalphiteError(StoreErrorCode.InvalidArgument, `${where}: ${JSON.stringify(pointer)} has a "~" not followed by 0 or 1`);
    }
    segments[i] = s.replace(/~1/g, "/").replace(/~0/g, "~");
  }
  return segments;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Structural equality of two JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** Collects a batch's patches and their inverse (built forward, reversed at the end). */
export class PatchRecorder {
  readonly patches: JsonPatchOperation[] = [];
  readonly #inverse: JsonPatchOperation[] = [];
  #type: string | undefined;
  #prefix = "";

  /** A change of `(type, id)` from `prev` (undefined: absent) to `next` (undefined: deleted). */
  change(type: string, id: EntityId, prev: BaseEntity | undefined, next: BaseEntity | undefined): void {
    if (type !== this.#type) {
      this.#type = type;
      this.#prefix = `/${escapeSegment(type)}/`;
    }
    const path = this.#prefix + escapeSegment(id);
    if (prev === undefined) {
      this.patches.push({ op: "add", path, value: next });
      this.#inverse.push({ op: "remove", path });
    } else if (next === undefined) {
      this.patches.push({ op: "remove", path });
      this.#inverse.push({ op: "add", path, value: prev });
    } else {
      this.#diff(path, prev as unknown as Record<string, unknown>, next as unknown as Record<string, unknown>);
    }
  }

  /** The inverse patches: applied after `patches`, they undo them. */
  inverse(): JsonPatchOperation[] {
    return this.#inverse.reverse();
  }

  /** Field-level operations turning object `a` into object `b`. */
  #diff(path: string, a: Record<string, unknown>, b: Record<string, unknown>): void {
    for (const key in a) {
      if (!Object.prototype.hasOwnProperty.call(a, key)) continue;
      const at = `${path}/${escapeSegment(key)}`;
      if (!Object.prototype.hasOwnProperty.call(b, key)) {
        this.patches.push({ op: "remove", path: at });
        this.#inverse.push({ op: "add", path: at, value: a[key] });
        continue;
      }
      const x = a[key];
      const y = b[key];
      if (x === y) continue;
      if (isPlainObject(x) && isPlainObject(y)) this.#diff(at, x, y);
      else if (!jsonEqual(x, y)) {
        this.patches.push({ op: "replace", path: at, value: y });
        this.#inverse.push({ op: "replace", path: at, value: x });
      }
    }
    for (const key in b) {
      if (!Object.prototype.hasOwnProperty.call(b, key) || Object.prototype.hasOwnProperty.call(a, key)) continue;
      const at = `${path}/${escapeSegment(key)}`;
      this.patches.push({ op: "add", path: at, value: b[key] });
      this.#inverse.push({ op: "remove", path: at });
    }
  }
}

/** The state of one entity while a patch list is applied: `value` undefined means absent. */
export interface PatchedEntity {
  readonly type: string;
  readonly id: EntityId;
  value: unknown;
}

/**
 * Applies JSON Patch operations to working copies of entities, copying only
 * the containers on each changed path (the stored, frozen entities are never
 * touched). `read(type, id)` gives an entity's current stored value.
 * Returns the entities touched, in the order first touched, with their final
 * values; nothing is applied to the store here.
 */
export function applyPatchesTo(
  patches: readonly JsonPatchOperation[],
  read: (type: string, id: EntityId) => unknown,
): PatchedEntity[] {
  if (!Array.isArray(patches)) throw new KalphiteError(StoreErrorCode.InvalidArgument, "store.applyPatches(patches): patches must be an array of JSON Patch operations");
  const working = new Map<string, Map<EntityId, PatchedEntity>>();
  const touched: PatchedEntity[] = [];
  const owned = new WeakSet<object>();

  const entityAt = (type: string, id: EntityId): PatchedEntity => {
    let byId = working.get(type);
    if (byId === undefined) working.set(type, (byId = new Map()));
    let entry = byId.get(id);
    if (entry === undefined) {
      entry = { type, id, value: read(type, id) };
      byId.set(id, entry);
      touched.push(entry);
    }
    return entry;
  };

  patches.forEach((operation, index) => {
    const where = `store.applyPatches: operation ${index}`;
    const fail = (message: string) => new KalphiteError(StoreErrorCode.PatchFailed, `${where} (${JSON.stringify(operation?.op)} ${JSON.stringify(operation?.path)}): ${message}`);
    if (typeof operation !== "object" || operation === null || !OPS.has(operation.op)) {
      throw new KalphiteError(StoreErrorCode.InvalidArgument, `${where}: expected { op: "add" | "remove" | "replace" | "move" | "copy" | "test", path, … }`);
    }
    const path = parsePointer(operation.path, where);
    if (path.length < 2) {
      throw new KalphiteError(StoreErrorCode.InvalidArgument, `${where}: path ${JSON.stringify(operation.path)} must name an entity (/<type>/<id>) or a value inside one`);
    }
    if ((operation.op === "add" || operation.op === "replace" || operation.op === "test") && !("value" in operation)) {
      throw new KalphiteError(StoreErrorCode.InvalidArgument, `${where}: "${operation.op}" needs a value`);
    }

    const get = (segments: readonly string[]): { found: boolean; value: unknown } => {
      const entry = entityAt(segments[0]!, segments[1]!);
      let value = entry.value;
      if (value === undefined) return { found: false, value: undefined };
      for (let i = 2; i < segments.length; i++) {
        const key = segments[i]!;
        if (Array.isArray(value)) {
          const n = arrayIndex(key, value.length, false);
          if (n === undefined) return { found: false, value: undefined };
          value = value[n];
        } else if (isPlainObject(value) && Object.prototype.hasOwnProperty.call(value, key)) {
          value = value[key];
        } else return { found: false, value: undefined };
      }
      return { found: true, value };
    };

    /** The (copied, mutable) container holding the last segment of `segments`. */
    const parentOf = (segments: readonly string[]): Record<string, unknown> | unknown[] => {
      const entry = entityAt(segments[0]!, segments[1]!);
      if (entry.value === undefined) throw fail(`no entity at /${segments.slice(0, 2).map(escapeSegment).join("/")}`);
      let container = own(entry.value);
      entry.value = container;
      for (let i = 2; i < segments.length - 1; i++) {
        const key = segments[i]!;
        let child: unknown;
        if (Array.isArray(container)) {
          const n = arrayIndex(key, container.length, false);
          if (n === undefined) throw fail(`no index ${key} in the array at segment ${i}`);
          child = container[n];
          if (typeof child !== "object" || child === null) throw fail(`segment ${i} is not an object or array`);
          child = own(child);
          container[n] = child;
        } else {
          if (!Object.prototype.hasOwnProperty.call(container, key)) throw fail(`no member "${key}"`);
          child = container[key];
          if (typeof child !== "object" || child === null) throw fail(`"${key}" is not an object or array`);
          child = own(child);
          setMember(container, key, child);
        }
        container = child as Record<string, unknown> | unknown[];
      }
      return container;
    };

    const own = (value: unknown): Record<string, unknown> | unknown[] => {
      if (typeof value !== "object" || value === null) throw fail("not an object or array");
      if (owned.has(value)) return value as Record<string, unknown> | unknown[];
      const copy = Array.isArray(value) ? value.slice() : { ...(value as Record<string, unknown>) };
      owned.add(copy);
      return copy;
    };

    const add = (segments: readonly string[], value: unknown): void => {
      if (segments.length === 2) {
        entityAt(segments[0]!, segments[1]!).value = value;
        return;
      }
      const parent = parentOf(segments);
      const key = segments[segments.length - 1]!;
      if (Array.isArray(parent)) {
        const n = arrayIndex(key, parent.length, true);
        if (n === undefined) throw fail(`index "${key}" is out of the array's bounds`);
        parent.splice(n, 0, value);
      } else setMember(parent, key, value);
    };

    const remove = (segments: readonly string[]): void => {
      if (segments.length === 2) {
        const entry = entityAt(segments[0]!, segments[1]!);
        if (entry.value === undefined) throw fail("no entity there to remove");
        entry.value = undefined;
        return;
      }
      const parent = parentOf(segments);
      const key = segments[segments.length - 1]!;
      if (Array.isArray(parent)) {
        const n = arrayIndex(key, parent.length, false);
        if (n === undefined) throw fail(`no index "${key}" to remove`);
        parent.splice(n, 1);
      } else {
        if (!Object.prototype.hasOwnProperty.call(parent, key)) throw fail(`no member "${key}" to remove`);
        delete parent[key];
      }
    };

    switch (operation.op) {
      case "add":
        add(path, operation.value);
        break;
      case "remove":
        remove(path);
        break;
      case "replace":
        if (!get(path).found) throw fail("nothing there to replace");
        if (path.length === 2) entityAt(path[0]!, path[1]!).value = operation.value;
        else {
          const parent = parentOf(path);
          const key = path[path.length - 1]!;
          if (Array.isArray(parent)) parent[arrayIndex(key, parent.length, false)!] = operation.value;
          else setMember(parent, key, operation.value);
        }
        break;
      case "test": {
        const at = get(path);
        if (!at.found || !jsonEqual(at.value, operation.value)) throw fail("the test failed: the value there differs");
        break;
      }
      case "move":
      case "copy": {
        const from = parsePointer(operation.from as string, `${where} (from)`);
        if (from.length < 2) throw new KalphiteError(StoreErrorCode.InvalidArgument, `${where}: from must name an entity or a value inside one`);
        const source = get(from);
        if (!source.found) throw fail(`nothing at from ${JSON.stringify(operation.from)}`);
        if (operation.op === "move") {
          if (path.length > from.length && from.every((s, i) => s === path[i])) throw fail("cannot move a value into itself");
          remove(from);
        }
        // A copy must not share containers with its source: a later edit of one would show in the other.
        add(path, operation.op === "copy" ? jsonClone(source.value) : source.value);
        break;
      }
    }
  });
  return touched;
}

/** `obj[key] = value` as an own data property, also for `"__proto__"` (which an assignment would turn into a prototype change). */
function setMember(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

function jsonClone(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(jsonClone);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) setMember(out, key, jsonClone((value as Record<string, unknown>)[key]));
  return out;
}

/** `key` as an index of an array of `length` (`"-"` is the end, for an add); undefined when invalid. */
function arrayIndex(key: string, length: number, forAdd: boolean): number | undefined {
  if (forAdd && key === "-") return length;
  if (!/^(0|[1-9][0-9]*)$/.test(key)) return undefined;
  const n = Number(key);
  return n < length || (forAdd && n === length) ? n : undefined;
}
