import type { Entity } from "@kalphite/store";
import type { TodoTransaction } from "./mutators";

/** An in-memory `TodoTransaction` over a Map keyed by `type/id` (tests only). */
export function memoryTx(entities: Map<string, Entity> = new Map()): TodoTransaction & { entities: Map<string, Entity>; all(type: string): Entity[] } {
  const key = (type: string, id: string) => `${type}/${id}`;
  const all = (type: string) => [...entities.values()].filter((e) => e.type === type).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    entities,
    all,
    get: async <T extends Entity = Entity>(type: string, id: string) => structuredClone(entities.get(key(type, id))) as T | undefined,
    getByType: async <T extends Entity = Entity>(type: string) => structuredClone(all(type)) as T[],
    upsert: async (type, id, entity) => {
      entities.set(key(type, id), structuredClone({ ...entity, id, type }) as unknown as Entity);
    },
    delete: async (type, id) => {
      entities.delete(key(type, id));
    },
  };
}
