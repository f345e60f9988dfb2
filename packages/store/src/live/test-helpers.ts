import { STATE, type TypedCollection } from "../collection";
import type { BaseEntity } from "../types";

/** How many live-view observers the store has on this collection (0 once every view is disposed). */
export function observerCount<T extends BaseEntity>(collection: TypedCollection<T>): number {
  return collection[STATE].observers.size;
}

/** The ids of a view, in order. */
export const ids = (entities: Iterable<{ readonly id: string }>): string[] => [...entities].map((e) => e.id);
