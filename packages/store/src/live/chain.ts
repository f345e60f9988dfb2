import { selectorOf, type KeySelector } from "../sort-keys";
import type { BaseEntity } from "../types";
import { GroupNode } from "./group-node";
import type { LiveGroups } from "./live-groups";
import { argumentError, disposedError } from "./live-errors";
import type { LiveView } from "./live-types";
import type { Upstream } from "./node-types";
import { SortOrder } from "./order";
import { SelectNode } from "./select-node";
import { WindowNode } from "./window-node";

type Up = Upstream<BaseEntity>;

/** How error messages name what a step was called on. */
function nameOf(up: Up): string {
  return up === up.source ? `store.${up.source.state.type}.live` : `live view of store.${up.source.state.type}`;
}

function alive(up: Up, step: string): void {
  if ((up as { disposed?: boolean }).disposed === true) throw disposedError(nameOf(up), step);
}

function keySelector(up: Up, step: string, key: unknown): (entity: BaseEntity) => unknown {
  if (typeof key === "function" || typeof key === "string" || typeof key === "number" || typeof key === "symbol") {
    return selectorOf(key as KeySelector<BaseEntity>);
  }
  throw argumentError(`${nameOf(up)}.${step}(key): key must be a field name or a function of the entity, not ${String(key)}`);
}

function count(up: Up, step: string, value: unknown, infinite: boolean): number {
  if (typeof value === "number" && value >= 0 && (Number.isInteger(value) || (infinite && value === Infinity))) return value;
  throw argumentError(`${nameOf(up)}.${step}(n): n must be an integer ≥ 0${infinite ? " (or Infinity)" : ""}, not ${String(value)}`);
}

function window(up: Up, start: number, limit: number): LiveView<BaseEntity> {
  if (up !== up.source) return new WindowNode(up, start, limit).view;
  // A window needs indices, which the collection does not report: window a
  // hidden copy of it (disposed with the window).
  const all = new SelectNode(up, up.order, undefined);
  all.intermediate = true;
  try {
    return new WindowNode(all, start, limit).view;
  } catch (error) {
    all.dispose();
    throw error;
  }
}

/**
 * The query steps, for `collection.live` (on the collection) and every view
 * (on that view). Each checks its arguments, then builds the node; the node
 * attaches itself to its upstream once built, so a step that throws leaves
 * nothing behind.
 */
export const CHAIN = {
  filter(up: Up, predicate: unknown, step: "filter" | "where"): LiveView<BaseEntity> {
    alive(up, step);
    if (typeof predicate !== "function") throw argumentError(`${nameOf(up)}.${step}(predicate): predicate must be a function, not ${String(predicate)}`);
    return new SelectNode(up, up.order, predicate as (entity: BaseEntity) => unknown).view;
  },
  orderBy(up: Up, key: unknown, direction: unknown = "asc"): LiveView<BaseEntity> {
    alive(up, "orderBy");
    const select = keySelector(up, "orderBy", key);
    if (direction !== "asc" && direction !== "desc") throw argumentError(`${nameOf(up)}.orderBy(key, direction): direction must be "asc" or "desc", not ${String(direction)}`);
    return new SelectNode(up, new SortOrder(select, direction === "desc"), undefined).view;
  },
  limit(up: Up, n: unknown): LiveView<BaseEntity> {
    alive(up, "limit");
    return window(up, 0, count(up, "limit", n, true));
  },
  offset(up: Up, n: unknown): LiveView<BaseEntity> {
    alive(up, "offset");
    return window(up, count(up, "offset", n, false), Infinity);
  },
  groupBy(up: Up, key: unknown): LiveGroups<unknown, BaseEntity> {
    alive(up, "groupBy");
    return new GroupNode(up, keySelector(up, "groupBy", key)).map;
  },
};
