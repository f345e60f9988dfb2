export { KalphiteStore, createKalphiteStore } from "./store";
export type { EntityOfType, StoreCollections, StoreMethods } from "./store";
export type { ApplyPatchesOptions, StoreOptions, StoreTransactionResult } from "./internal/store-core";
export type { JsonPatchOperation } from "./patches";
export { TypedCollection, compareKeys } from "./collection";
export { compareStrings } from "./sort-keys";
export type { EntityInput, KeySelector, SortDirection } from "./collection";
export { LiveQuery } from "./live/live-query";
export { LiveGroups } from "./live/live-groups";
export type { LiveGroupsChange, LiveGroupsListener } from "./live/live-groups";
export type { LiveChange, LiveListener, LiveSteps, LiveView } from "./live/live-types";
export { KalphiteError, StoreErrorCode, ValidationError } from "./errors";
export type { ValidationIssue } from "./errors";
export { validateEntity, checkEntityShape } from "./schema";
export type { EntitySchema, InferEntity } from "./schema";
export { deepFreeze } from "./freeze";
export type {
  BaseEntity,
  BatchMeta,
  BatchOptions,
  ChangeBatch,
  ChangeListener,
  ChangeOperation,
  ChangeOrigin,
  ChangeRecord,
  ChangeSink,
  Entity,
  EntityId,
  InvalidEntity,
  ListenerErrorHandler,
  LoadOptions,
  LoadResult,
  RemoteChange,
} from "./types";
