/** @kalphite/coordinator: JSON Patch (RFC 6902), the optimistic sync coordinator and speculative operations. */
export { CoordinatorError, CoordinatorErrorCode, PatchError } from "./errors";
export { applyPatch, applyPatchWithInverse, computeInversePatch, validatePatch } from "./json-patch";
export type { Patch, PatchOperationName, PatchResult } from "./json-patch";
export { escapePointerToken, formatPointer, isPointerPrefix, parsePointer } from "./json-pointer";
export { fromImmerPatches } from "./immer-patches";
export { createOptimisticSyncCoordinator } from "./coordinator";
export type { CoordinatorTimers, OptimisticSyncCoordinator, OptimisticSyncCoordinatorOptions } from "./coordinator";
export { clientWins, customStrategy, fieldLevelMerge, serverWins } from "./strategies";
export type { CustomStrategyDefinition, PatchConflictStrategy } from "./strategies";
export type {
  ApplyDeltaCallback,
  AtomKey,
  ConflictResolutionStrategy,
  PendingMutation,
  PendingMutationInput,
  RebaseCallback,
  ResyncCallback,
  ResyncRequest,
  RollbackCallback,
  RollbackInfo,
  ServerDeltaMessage,
  StateChangeCallback,
} from "./types";
export { createOptimisticClient } from "./optimistic-client";
export type {
  ClientMutator,
  ClientMutatorTransaction,
  EnginePatch,
  MutatorArgs,
  OptimisticClient,
  OptimisticClientOptions,
  OptimisticEngine,
  OperationRecord,
  RejectedOperation,
  SpeculativeOperation,
} from "./optimistic-client";
