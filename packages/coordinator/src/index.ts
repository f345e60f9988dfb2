/** @kalphite/coordinator: JSON Patch (RFC 6902), the optimistic sync coordinator and speculative operations. */
export { CoordinatorError, CoordinatorErrorCode, PatchError } from "./errors";
export { applyPatch, applyPatchWithInverse, computeInversePatch, validatePatch } from "./json-patch";
export type { Patch, PatchOperationName, PatchResult } from "./json-patch";
export { escapePointerToken, formatPointer, isPointerPrefix, parsePointer } from "./json-pointer";
export { fromImmerPatches } from "./immer-patches";
