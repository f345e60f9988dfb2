// kalphite: the umbrella. `createKalphite` wires the layers; layers 1–3 are
// re-exported by name. The sync layers (4–7) export clashing names
// (`createPGliteSyncStorage` in sync-ws and sync-ops, `PendingMutation` in
// transactions and coordinator), so each is a subpath: `kalphite/sync-ws`,
// `kalphite/sync-ops`, `kalphite/transactions`, `kalphite/coordinator`
// (and `kalphite/store`, `kalphite/flush`, `kalphite/pglite`); the root adds
// only their engines.

export { createKalphite, KalphiteConfigErrorCode, PGLITE_FLUSH_DEFAULTS } from "./create-kalphite";
export type { Kalphite, KalphiteDatabaseOptions, KalphiteFlushOptions, KalphiteInvalidPolicy, KalphiteOptions, KalphiteStoreOptions, NoMutators } from "./create-kalphite";
export { KALPHITE_SYNC_DEFAULTS } from "./sync/options";
export type { KalphiteBatchContext, KalphiteOperation, KalphiteSyncMode, KalphiteSyncOptions } from "./sync/options";
export type { KalphiteMutate, KalphiteRejection, KalphiteSync, KalphiteSyncStatus } from "./sync/types";

// The engines of layers 4a, 4b and 7 (everything else of them: the subpaths).
export { NetworkSyncEngine, bindStore } from "@kalphite/sync-ws";
export { ModernSyncEngine } from "@kalphite/sync-ops";
export { createOptimisticClient } from "@kalphite/coordinator";
export type { ClientMutator, ClientMutatorTransaction, MutatorArgs, OptimisticClient } from "@kalphite/coordinator";

// Layer 1: @kalphite/store
export {
  KalphiteStore,
  createKalphiteStore,
  TypedCollection,
  compareKeys,
  compareStrings,
  LiveQuery,
  LiveGroups,
  KalphiteError,
  StoreErrorCode,
  ValidationError,
  validateEntity,
  checkEntityShape,
  deepFreeze,
} from "@kalphite/store";
export type {
  ApplyPatchesOptions,
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
  EntityInput,
  EntityOfType,
  EntitySchema,
  InferEntity,
  InvalidEntity,
  JsonPatchOperation,
  KeySelector,
  ListenerErrorHandler,
  LiveChange,
  LiveGroupsChange,
  LiveGroupsListener,
  LiveListener,
  LiveSteps,
  LiveView,
  LoadOptions,
  LoadResult,
  RemoteChange,
  SortDirection,
  StoreCollections,
  StoreMethods,
  StoreOptions,
  StoreTransactionResult,
  ValidationIssue,
} from "@kalphite/store";

// Layer 2: @kalphite/flush
export {
  MemoryFlushEngine,
  createMemoryFlushTarget,
  flushKey,
  FlushError,
  FlushErrorCode,
  NonRetriableError,
  isNonRetriable,
  TypedEmitter,
  systemTimers,
  FLUSH_DEFAULTS,
} from "@kalphite/flush";
export type {
  CloseOptions,
  DeadLetter,
  DeadLetterEvent,
  DeadLetterKey,
  FailurePolicy,
  FlushBatchContext,
  FlushChange,
  FlushConfig,
  FlushedEvent,
  FlushEvents,
  FlushFailureEvent,
  FlushState,
  FlushStats,
  FlushTarget,
  FlushTimers,
  Listener,
  MemoryFlushTarget,
  MemoryFlushTargetOptions,
  RetryEvent,
} from "@kalphite/flush";

// Layer 3: @kalphite/pglite
export {
  FrontendDatabase,
  createFrontendDatabase,
  createFlushTarget,
  hydrate,
  isPermanentTargetError,
  DatabaseError,
  DatabaseErrorCode,
  MigrationError,
  QuotaExceededError,
} from "@kalphite/pglite";
export type {
  ApplyContext,
  DatabaseConfig,
  DatabaseState,
  DatabaseTransaction,
  EntityOperations,
  FieldCondition,
  FieldOperators,
  FindOptions,
  FindOrder,
  FindScalar,
  HydrateOptions,
  HydrateResult,
  HydrationTarget,
  Migration,
  MigrationContext,
  SqlResult,
  StorageUsage,
} from "@kalphite/pglite";
