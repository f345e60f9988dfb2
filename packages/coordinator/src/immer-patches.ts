import type { Patch as ImmerPatch } from "immer";
import { CoordinatorErrorCode, PatchError } from "./errors";
import type { Patch } from "./json-patch";
import { formatPointer } from "./json-pointer";

/**
 * Converts immer patches (`produceWithPatches`, after `enablePatches()`; paths
 * are arrays such as `["todos", 0, "done"]`) to RFC 6902 patches with escaped
 * string pointers (`"/todos/0/done"`). `prefix` is prepended to every path,
 * for a draft that is one part of a larger document (`["todo", id]`).
 * @default prefix []
 * Throws `PatchError` (`INVALID_PATCH`) for what JSON Patch cannot say: a
 * path segment that is not a string or number (a Map key object), or a root
 * replacement with `undefined` (immer's `nothing`).
 */
export function fromImmerPatches(patches: readonly ImmerPatch[], prefix: ReadonlyArray<string | number> = []): Patch[] {
  const out: Patch[] = [];
  for (let i = 0; i < patches.length; i++) {
    const patch = patches[i]!;
    for (const segment of patch.path) {
      if (typeof segment !== "string" && typeof segment !== "number") {
        throw new PatchError(CoordinatorErrorCode.InvalidPatch, `immer path segment of type ${typeof segment} has no JSON Pointer form`, i, patch);
      }
    }
    const path = formatPointer(prefix.length ? [...prefix, ...(patch.path as (string | number)[])] : (patch.path as (string | number)[]));
    if (patch.op === "remove") {
      out.push({ op: "remove", path });
      continue;
    }
    if (patch.value === undefined) {
      throw new PatchError(CoordinatorErrorCode.InvalidPatch, `immer "${patch.op}" at ${JSON.stringify(path)} carries undefined, which JSON Patch cannot express`, i, patch);
    }
    out.push({ op: patch.op, path, value: patch.value });
  }
  return out;
}
