import type { BaseEntity } from "../types";
import { KalphiteError, StoreErrorCode } from "../errors";
import type { LiveSource } from "./live-source";
import type { LiveView } from "./live-types";
import type { Upstream } from "./node-types";

/** @internal The node behind a view's raw array; a symbol so it never shows up as an array field. */
export const NODE: unique symbol = Symbol("kalphite.live.node");

/** A read of a view's first rows (`slice`, an index) up to here is answered from its pending edits, without applying them. */
export const PEEK_LIMIT = 256;

/** A read in progress over a view: `items` is the view until it changes, then a snapshot. */
export interface Cursor<T> {
  items: readonly T[];
}

/** What a view's methods need from the node behind it. */
export interface ViewHost<T extends BaseEntity> extends Upstream<T> {
  readonly source: LiveSource;
  /** The raw array: the Proxy's target, mutated only by the node (it may lag behind: read `items`). */
  readonly array: T[];
  /** The number of entities in the view (pending edits included). */
  readonly size: number;
  /** Whether the node holds edits not applied to `array` yet. */
  readonly pending: boolean;
  /** Rows [start, end) as they are with the pending edits, without applying them (for the first rows). */
  peek(start: number, end: number): T[];
  /** The guarded array users hold. */
  readonly view: LiveView<T>;
  readonly disposed: boolean;
  /** Names the view in error messages. */
  readonly label: string;
  openCursor(): Cursor<T>;
  closeCursor(cursor: Cursor<T>): void;
  subscribe(listener: (view: never, change: never) => void, what: string): () => void;
  /** `view.dispose()`. */
  disposeView(): void;
}

/** The host of a view (called with the view, or its raw array, as `this`). */
export function hostOf<T extends BaseEntity>(self: unknown): ViewHost<T> {
  const host = (self as { [NODE]?: ViewHost<T> } | null | undefined)?.[NODE];
  if (host === undefined) {
    throw new KalphiteError(StoreErrorCode.InvalidArgument, "a live view method was called on something that is not a live view");
  }
  return host;
}
