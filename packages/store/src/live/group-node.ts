import type { BaseEntity } from "../types";
import { LiveGroups } from "./live-groups";
import { LiveNode } from "./live-node";
import type { Consumer, Upstream } from "./node-types";
import { SelectNode } from "./select-node";

const mapSet = Map.prototype.set;
const mapDelete = Map.prototype.delete;
const mapClear = Map.prototype.clear;

const sameKey = (a: unknown, b: unknown) => a === b || (a !== a && b !== b); // SameValueZero, as Map does

/**
 * `groupBy(key)`: routes each change to the group(s) of its old and new key.
 * A group is a `SelectNode` whose predicate is "has this key", in the
 * upstream's order, owned by this node: O(1) routing plus the group's own
 * O(log n) work.
 *
 * A group that empties leaves the map at once but is disposed only at the end
 * of the batch, after its subscribers heard of the removals; if its key comes
 * back before then, the same view returns.
 */
export class GroupNode<K, T extends BaseEntity> extends LiveNode<T> {
  readonly map: LiveGroups<K, T>;
  readonly #key: (entity: T) => K;
  readonly #groups = new Map<K, SelectNode<T>>();
  readonly #retiring = new Map<K, SelectNode<T>>();
  /** Keys touched this batch → whether their group existed when the batch began. */
  #touched = new Map<K, boolean>();
  /** The map's keys, in order, before the first group of this batch retired (to put revived groups back in place). */
  #orderBefore: K[] | undefined;
  /** A retired group came back this batch: the map's order is restored at the end of it. */
  #revived = false;

  constructor(upstream: Upstream<T>, key: (entity: T) => K) {
    super(upstream, upstream, false);
    this.#key = key;
    this.map = new LiveGroups<K, T>(this);
    try {
      for (const [k, members] of this.#partition()) this.#create(k, members);
    } catch (error) {
      this.release();
      throw error;
    }
    if (upstream.stale) this.enterBulk();
    upstream.attach(this);
  }

  apply(next: T | undefined, prev: T | undefined): void {
    if (this.bulk) return;
    const before = prev === undefined ? undefined : this.#key(prev);
    const after = next === undefined ? undefined : this.#key(next);
    this.markDirty();
    if (prev !== undefined) this.#route(before as K, next, prev);
    if (next !== undefined && (prev === undefined || !sameKey(before, after))) this.#route(after as K, next, prev);
  }

  #route(key: K, next: T | undefined, prev: T | undefined): void {
    this.#touch(key);
    let group = this.#groups.get(key);
    if (group === undefined) {
      group = this.#retiring.get(key);
      if (group !== undefined) this.#revive(key, group);
      else if (next === undefined) return;
      else group = this.#create(key, []);
    }
    group.apply(next, prev);
    if (group.size === 0 && !group.bulk) this.#retire(key, group);
  }

  #touch(key: K): void {
    if (!this.#touched.has(key)) this.#touched.set(key, this.#groups.has(key));
  }

  #create(key: K, members: T[]): SelectNode<T> {
    const keyOf = this.#key;
    const group = new SelectNode<T>(this.upstream, this.upstream.order, (entity) => sameKey(keyOf(entity), key), {
      parent: this,
      owned: true,
      initial: members,
    });
    this.#groups.set(key, group);
    mapSet.call(this.map, key, group.view);
    return group;
  }

  #retire(key: K, group: SelectNode<T>): void {
    this.#orderBefore ??= [...this.#groups.keys()];
    this.#groups.delete(key);
    mapDelete.call(this.map, key);
    this.#retiring.set(key, group);
  }

  #revive(key: K, group: SelectNode<T>): void {
    this.#revived = true;
    this.#retiring.delete(key);
    this.#groups.set(key, group);
    mapSet.call(this.map, key, group.view);
  }

  #partition(): Map<K, T[]> {
    const parts = new Map<K, T[]>();
    for (const entity of this.upstream.items) {
      const k = this.#key(entity);
      const part = parts.get(k);
      if (part === undefined) parts.set(k, [entity]);
      else part.push(entity);
    }
    return parts;
  }

  flush(): void {
    this.dirty = false;
    if (this.disposed) return;
    if (this.bulk) {
      if (this.upstream.stale) {
        this.markDirty();
        return;
      }
      this.#regroup();
    }
    // The groups flush after this node (they were marked dirty after it): settle once they have.
    this.source.afterFlush(() => this.#settle());
  }

  /** End of bulk mode: one pass sorts the upstream into groups; each group (bulk) rebuilds from its share. */
  #regroup(): void {
    this.bulk = false;
    const parts = this.#partition();
    for (const [key, group] of [...this.#groups, ...this.#retiring]) {
      this.#touch(key);
      const members = parts.get(key) ?? [];
      parts.delete(key);
      group.prepare(members);
      if (members.length === 0) {
        if (this.#groups.get(key) === group) this.#retire(key, group);
      } else if (this.#retiring.get(key) === group) {
        this.#revive(key, group);
      }
    }
    for (const [key, members] of parts) {
      this.#touch(key);
      this.#create(key, members);
    }
  }

  /** After every view flushed: dispose the groups that stayed empty, then tell subscribers. */
  #settle(): void {
    if (this.disposed) return;
    for (const [key, group] of this.#groups) if (group.size === 0) this.#retire(key, group); // emptied by a rebuild
    for (const group of this.#retiring.values()) group.dispose();
    this.#retiring.clear();
    if (this.#revived) this.#restoreOrder(this.#orderBefore!);
    this.#revived = false;
    this.#orderBefore = undefined;
    const touched = this.#touched;
    this.#touched = new Map();
    const added: K[] = [];
    const removed: K[] = [];
    const changed: K[] = [];
    for (const [key, existed] of touched) {
      const group = this.#groups.get(key);
      if (group === undefined) {
        if (existed) removed.push(key);
      } else if (!existed) added.push(key);
      else if (group.changedRound === this.source.round) changed.push(key);
    }
    if (added.length + removed.length + changed.length > 0) this.notify(this.map, { added, removed, changed });
  }

  /**
   * A group that emptied and came back within the batch keeps its place in
   * the map: the keys that were there before keep their order, new keys
   * follow in the order they appeared.
   */
  #restoreOrder(before: readonly K[]): void {
    const groups = this.#groups;
    const order: K[] = [];
    for (const key of before) if (groups.has(key)) order.push(key);
    const kept = new Set(order);
    for (const key of groups.keys()) if (!kept.has(key)) order.push(key);
    const entries = order.map((key) => [key, groups.get(key)!] as const);
    groups.clear();
    mapClear.call(this.map);
    for (const [key, group] of entries) {
      groups.set(key, group);
      mapSet.call(this.map, key, group.view);
    }
  }

  protected rebuildCost(): number {
    return Infinity; // routing is O(1) per change; the groups go bulk on their own
  }

  override detach(child: Consumer<T>): void {
    this.children.delete(child); // only ever a group, disposed by this node
  }

  protected release(): void {
    for (const group of [...this.#groups.values(), ...this.#retiring.values()]) group.dispose();
    this.#groups.clear();
    this.#retiring.clear();
    this.#touched.clear();
  }
}
