import type { BaseEntity } from "../types";
import { readOnlyError } from "./live-errors";
import type { LiveView } from "./live-types";

/** What changed in a `groupBy` map during one store batch (group keys). */
export interface LiveGroupsChange<K> {
  /** Keys whose group appeared. */
  readonly added: readonly K[];
  /** Keys whose group disappeared (its last entity left; its view is disposed). */
  readonly removed: readonly K[];
  /** Keys whose group stayed and whose view's contents changed. */
  readonly changed: readonly K[];
}

/** Called once per store batch in which the groups changed: the map (already current), then what changed. */
export type LiveGroupsListener<K, T extends BaseEntity> = (groups: LiveGroups<K, T>, change: LiveGroupsChange<K>) => void;

/** @internal The node behind a `LiveGroups`. */
export const GROUPS_NODE: unique symbol = Symbol("kalphite.live.groups");

/** What a `LiveGroups` needs from its node. */
export interface GroupsHost {
  readonly disposed: boolean;
  subscribe(listener: (groups: never, change: never) => void, what: string): () => void;
  dispose(): void;
}

/**
 * The result of `groupBy(key)`: a real, read-only `Map` from each key to the
 * live view of its entities, kept current on every store change. Keys appear
 * in the order their groups appeared. `set`, `delete` and `clear` throw.
 */
export class LiveGroups<K, T extends BaseEntity> extends Map<K, LiveView<T>> {
  declare readonly [GROUPS_NODE]: GroupsHost;

  /** @internal Created by `groupBy`. */
  constructor(host: GroupsHost) {
    super();
    Object.defineProperty(this, GROUPS_NODE, { value: host });
  }

  /**
   * Calls `listener(groups, change)` at the end of every store batch in which
   * a group appeared, disappeared or changed. Returns the unsubscribe function.
   * @throws KalphiteError `VIEW_DISPOSED` once disposed.
   */
  subscribe(listener: LiveGroupsListener<K, T>): () => void {
    return this[GROUPS_NODE].subscribe(listener as (groups: never, change: never) => void, "live groupBy map");
  }

  /** Stops maintaining the map and disposes every group's view (and what was built on them). Idempotent. */
  dispose(): void {
    this[GROUPS_NODE].dispose();
  }

  /** Whether `dispose()` was called (directly or through an upstream view). */
  get disposed(): boolean {
    return this[GROUPS_NODE].disposed;
  }

  override set(_key: K, _value: LiveView<T>): this {
    throw readOnlyError("live groupBy map", "set()");
  }

  override delete(_key: K): boolean {
    throw readOnlyError("live groupBy map", "delete()");
  }

  override clear(): void {
    throw readOnlyError("live groupBy map", "clear()");
  }
}
