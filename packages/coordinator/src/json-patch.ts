/**
 * RFC 6902 JSON Patch: `add`, `remove`, `replace`, `move`, `copy`, `test` on
 * RFC 6901 pointers, applied without changing the input (copy-on-write along
 * the touched paths; untouched parts are shared with the input), atomically
 * (a failing operation throws and nothing is returned), optionally recording
 * the inverse patch on the way.
 */
import { CoordinatorErrorCode, PatchError } from "./errors";
import { formatPointer, isPointerPrefix, parsePointer } from "./json-pointer";
import { deepClone, deepEqual, hasOwn, isContainer, setOwn, shallowCopy, type JsonContainer } from "./json-value";

/** One RFC 6902 operation (the specification's shape). `value` for add/replace/test, `from` for move/copy. */
export type Patch = { op: string; path: string; value?: any; from?: string };

/** The six RFC 6902 operation names. */
export type PatchOperationName = "add" | "remove" | "replace" | "move" | "copy" | "test";

const OPS: ReadonlySet<string> = new Set<PatchOperationName>(["add", "remove", "replace", "move", "copy", "test"]);
const INDEX = /^(?:0|[1-9][0-9]*)$/;

/** The patched document and the patch that turns it back into the input. */
export interface PatchResult<T = unknown> {
  readonly document: T;
  /** Applying this to `document` gives the input document back (RFC 6902 operations, in order). */
  readonly inverse: Patch[];
}

/**
 * Applies an RFC 6902 patch and returns the patched document; `document` is
 * not changed (the result shares untouched parts with it). Throws a
 * `PatchError` — `INVALID_PATCH` for a malformed operation, `PATCH_CONFLICT`
 * for a path that does not fit the document, `PATCH_TEST_FAILED` for a failed
 * `test` — and then nothing is applied.
 */
export function applyPatch<T = unknown>(document: T, patch: readonly Patch[]): T {
  return new Applier(document, false).run(patch).document as T;
}

/**
 * `applyPatch` that also returns the inverse patch: applying `inverse` to the
 * result gives `document` back. One pass over the patch.
 */
export function applyPatchWithInverse<T = unknown>(document: T, patch: readonly Patch[]): PatchResult<T> {
  return new Applier(document, true).run(patch) as PatchResult<T>;
}

/**
 * The inverse of `patch` given the document it applies to (the document
 * *before*): `applyPatch(applyPatch(document, patch), computeInversePatch(document, patch))`
 * deep-equals `document`. Throws like `applyPatch` when the patch does not apply.
 */
export function computeInversePatch(document: unknown, patch: readonly Patch[]): Patch[] {
  return new Applier(document, true).run(patch).inverse;
}

/**
 * Checks a patch's shape (not whether it fits a document): an array of
 * operations with a known `op`, valid pointers, a `value` where one is needed
 * and a `from` for move/copy. Throws `PatchError` (`INVALID_PATCH`).
 */
export function validatePatch(patch: unknown): asserts patch is Patch[] {
  if (!Array.isArray(patch)) throw new PatchError(CoordinatorErrorCode.InvalidPatch, "a patch must be an array of operations", -1, patch);
  for (let i = 0; i < patch.length; i++) checkOperation(patch[i], i);
}

interface CheckedOperation {
  readonly op: PatchOperationName;
  readonly path: string[];
  readonly from: string[] | undefined;
  readonly value: unknown;
}

function checkOperation(operation: unknown, index: number): CheckedOperation {
  const fail = (message: string): never => {
    throw new PatchError(CoordinatorErrorCode.InvalidPatch, message, index, operation);
  };
  if (typeof operation !== "object" || operation === null || Array.isArray(operation)) return fail("an operation must be an object");
  const { op, path, from, value } = operation as Record<string, unknown>;
  if (typeof op !== "string" || !OPS.has(op)) return fail(`unknown op ${JSON.stringify(op)} (expected add, remove, replace, move, copy or test)`);
  if (typeof path !== "string") return fail(`"${op}" needs a string "path"`);
  const tokens = parsePointer(path);
  if (tokens === undefined) return fail(`invalid JSON Pointer ${JSON.stringify(path)} (must be "" or start with "/"; "~" only as "~0" or "~1")`);
  let fromTokens: string[] | undefined;
  if (op === "move" || op === "copy") {
    if (typeof from !== "string") return fail(`"${op}" needs a string "from"`);
    fromTokens = parsePointer(from);
    if (fromTokens === undefined) return fail(`invalid JSON Pointer in "from": ${JSON.stringify(from)}`);
    if (op === "move" && from !== path && isPointerPrefix(from, path)) return fail(`cannot move ${JSON.stringify(from)} into its own child ${JSON.stringify(path)}`);
  }
  if (op === "add" || op === "replace" || op === "test") {
    if (value === undefined) return fail(`"${op}" needs a "value" (undefined is not JSON)`);
    if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") return fail(`"${op}" value is not JSON (${typeof value})`);
  }
  return { op: op as PatchOperationName, path: tokens, from: fromTokens, value };
}

class Applier {
  #root: unknown;
  /** Containers created by this run: safe to change in place. */
  readonly #owned = new WeakSet<object>();
  readonly #inverse: Patch[][] | undefined;
  #index = -1;
  #operation: unknown;

  constructor(document: unknown, withInverse: boolean) {
    this.#root = document;
    this.#inverse = withInverse ? [] : undefined;
  }

  run(patch: readonly Patch[]): PatchResult {
    if (!Array.isArray(patch)) throw new PatchError(CoordinatorErrorCode.InvalidPatch, "a patch must be an array of operations", -1, patch);
    for (let i = 0; i < patch.length; i++) {
      this.#index = i;
      this.#operation = patch[i];
      const op = checkOperation(patch[i], i);
      const undo = this.#apply(op);
      this.#inverse?.push(undo);
    }
    const inverse: Patch[] = [];
    if (this.#inverse) for (let i = this.#inverse.length - 1; i >= 0; i--) inverse.push(...this.#inverse[i]!);
    return { document: this.#root, inverse };
  }

  #conflict(message: string): never {
    throw new PatchError(CoordinatorErrorCode.PatchConflict, message, this.#index, this.#operation);
  }

  #apply(op: CheckedOperation): Patch[] {
    switch (op.op) {
      case "add":
        return this.#add(op.path, op.value);
      case "remove":
        return this.#remove(op.path).undo;
      case "replace":
        return this.#replace(op.path, op.value);
      case "move": {
        const from = op.from!;
        if (formatPointer(from) === formatPointer(op.path)) {
          this.#get(from);
          return [];
        }
        const removed = this.#remove(from);
        // The moved value may be a container this run owns; the undo keeps a reference to it, so later
        // operations must copy it before changing it.
        this.#disown(removed.value);
        const undoAdd = this.#add(op.path, removed.value);
        return [...undoAdd, ...removed.undo];
      }
      case "copy":
        return this.#add(op.path, deepClone(this.#get(op.from!)));
      case "test": {
        const actual = this.#get(op.path);
        if (!deepEqual(actual, op.value)) {
          throw new PatchError(
            CoordinatorErrorCode.PatchTestFailed,
            `test failed at ${JSON.stringify(formatPointer(op.path))}: expected ${preview(op.value)}, found ${preview(actual)}`,
            this.#index,
            this.#operation,
          );
        }
        return [];
      }
    }
  }

  #add(path: string[], value: unknown): Patch[] {
    if (path.length === 0) {
      const old = this.#root;
      this.#root = value;
      return [{ op: "replace", path: "", value: old }];
    }
    const parent = this.#writableParent(path);
    const key = path[path.length - 1]!;
    if (Array.isArray(parent)) {
      const index = key === "-" ? parent.length : this.#arrayIndex(key, parent.length, path);
      parent.splice(index, 0, value);
      return [{ op: "remove", path: formatPointer([...path.slice(0, -1), index]) }];
    }
    const pointer = formatPointer(path);
    const existed = hasOwn(parent, key);
    const old = parent[key];
    setOwn(parent, key, value);
    return [existed ? { op: "replace", path: pointer, value: old } : { op: "remove", path: pointer }];
  }

  #remove(path: string[]): { value: unknown; undo: Patch[] } {
    if (path.length === 0) this.#conflict("cannot remove the whole document");
    const parent = this.#writableParent(path);
    const key = path[path.length - 1]!;
    if (Array.isArray(parent)) {
      const index = this.#arrayIndex(key, parent.length - 1, path);
      const [value] = parent.splice(index, 1);
      return { value, undo: [{ op: "add", path: formatPointer([...path.slice(0, -1), index]), value }] };
    }
    if (!hasOwn(parent, key)) this.#conflict(`nothing to remove at ${JSON.stringify(formatPointer(path))}`);
    const value = parent[key];
    delete parent[key];
    return { value, undo: [{ op: "add", path: formatPointer(path), value }] };
  }

  #replace(path: string[], value: unknown): Patch[] {
    if (path.length === 0) {
      const old = this.#root;
      this.#root = value;
      return [{ op: "replace", path: "", value: old }];
    }
    const parent = this.#writableParent(path);
    const key = path[path.length - 1]!;
    let old: unknown;
    let pointer: string;
    if (Array.isArray(parent)) {
      const index = this.#arrayIndex(key, parent.length - 1, path);
      old = parent[index];
      parent[index] = value;
      pointer = formatPointer([...path.slice(0, -1), index]);
    } else {
      if (!hasOwn(parent, key)) this.#conflict(`nothing to replace at ${JSON.stringify(formatPointer(path))}`);
      old = parent[key];
      setOwn(parent, key, value);
      pointer = formatPointer(path);
    }
    return [{ op: "replace", path: pointer, value: old }];
  }

  /** The value at `path` (read only: nothing is copied). */
  #get(path: string[]): unknown {
    let current = this.#root;
    for (let i = 0; i < path.length; i++) current = this.#child(current, path[i]!, path, i);
    return current;
  }

  #child(container: unknown, key: string, path: string[], depth: number): unknown {
    if (Array.isArray(container)) return container[this.#arrayIndex(key, container.length - 1, path)];
    if (isContainer(container) && hasOwn(container, key)) return (container as Record<string, unknown>)[key];
    return this.#conflict(
      isContainer(container)
        ? `no value at ${JSON.stringify(formatPointer(path.slice(0, depth + 1)))}`
        : `${JSON.stringify(formatPointer(path.slice(0, depth)))} is not an object or array`,
    );
  }

  /** The container holding the last token of `path`, copied (with its ancestors) if this run does not own it yet. */
  #writableParent(path: string[]): JsonContainer {
    if (!isContainer(this.#root)) this.#conflict(`the document is not an object or array, so ${JSON.stringify(formatPointer(path))} does not exist`);
    let current = this.#own(this.#root as JsonContainer);
    this.#root = current;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i]!;
      const child = this.#child(current, key, path, i);
      if (!isContainer(child)) this.#conflict(`${JSON.stringify(formatPointer(path.slice(0, i + 1)))} is not an object or array`);
      const owned = this.#own(child);
      if (owned !== child) {
        if (Array.isArray(current)) current[Number(key)] = owned;
        else setOwn(current, key, owned);
      }
      current = owned;
    }
    return current;
  }

  #own(container: JsonContainer): JsonContainer {
    if (this.#owned.has(container)) return container;
    const copy = shallowCopy(container);
    this.#owned.add(copy);
    return copy;
  }

  /** Forgets ownership of `value` and everything this run created below it (they form a connected tree). */
  #disown(value: unknown): void {
    if (!this.#inverse || !isContainer(value) || !this.#owned.has(value)) return;
    this.#owned.delete(value);
    for (const child of Array.isArray(value) ? value : Object.values(value)) this.#disown(child);
  }

  #arrayIndex(token: string, max: number, path: string[]): number {
    if (token === "-") this.#conflict(`"-" names the element after the last one and exists only as an "add" target (${JSON.stringify(formatPointer(path))})`);
    if (!INDEX.test(token)) this.#conflict(`${JSON.stringify(token)} is not an array index (${JSON.stringify(formatPointer(path))})`);
    const index = Number(token);
    if (index > max) this.#conflict(`array index ${index} is out of range (${max < 0 ? "the array is empty" : `0..${max}`}) at ${JSON.stringify(formatPointer(path))}`);
    return index;
  }
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
