// kalphite: the umbrella. `createKalphite` wires the layers; everything else
// is each layer's public API, re-exported by name (the subpaths
// `kalphite/store`, `kalphite/flush`, `kalphite/pglite` hold one layer each).

export { createKalphite, KalphiteConfigErrorCode, PGLITE_FLUSH_DEFAULTS } from "./create-kalphite";
export type { Kalphite, KalphiteDatabaseOptions, KalphiteFlushOptions, KalphiteOptions, KalphiteStoreOptions } from "./create-kalphite";

// Layer 1: @kalphite/store
export {
  KalphiteStore,
  createKalphiteStore,
  TypedCollection,
  compareKeys,
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
  BaseEntity,
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
  KeySelector,
  ListenerErrorHandler,
  LiveChange,
  LiveGroupsChange,
  LiveGroupsListener,
  LiveListener,
  LiveSteps,
  LiveView,
  RemoteChange,
  SortDirection,
  StoreCollections,
  StoreMethods,
  StoreOptions,
  ValidationIssue,
} from "@kalphite/store";

// Layer 2: @kalphite/flush
export {
  MemoryFlushEngine,
  createMemoryFlushTarget,
  flushKey,
  FlushError,
  FlushErrorCode,
  TypedEmitter,
  systemTimers,
  FLUSH_DEFAULTS,
} from "@kalphite/flush";
export type {
  FailurePolicy,
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
  DatabaseError,
  DatabaseErrorCode,
  MigrationError,
  QuotaExceededError,
} from "@kalphite/pglite";
export type {
  DatabaseConfig,
  DatabaseState,
  DatabaseTransaction,
  EntityOperations,
  FieldCondition,
  FieldOperators,
  FindOptions,
  FindOrder,
  FindScalar,
  HydrationTarget,
  Migration,
  MigrationContext,
  SqlResult,
  StorageUsage,
} from "@kalphite/pglite";
