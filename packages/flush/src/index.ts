export { MemoryFlushEngine } from "./memory-flush-engine";
export { createMemoryFlushTarget, flushKey } from "./memory-flush-target";
export type { FailurePolicy, MemoryFlushTarget, MemoryFlushTargetOptions } from "./memory-flush-target";
export { FlushError, FlushErrorCode, NonRetriableError, isNonRetriable } from "./errors";
export { TypedEmitter } from "./emitter";
export type { Listener } from "./emitter";
export { systemTimers } from "./timers";
export { FLUSH_DEFAULTS } from "./config";
export type {
  CloseOptions,
  DeadLetter,
  DeadLetterEvent,
  DeadLetterKey,
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
  RetryEvent,
} from "./types";
