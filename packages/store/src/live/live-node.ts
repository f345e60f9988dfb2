import type { BaseEntity } from "../types";
import { argumentError, disposedError } from "./live-errors";
import type { LiveSource } from "./live-source";
import type { Consumer, Parent, Upstream } from "./node-types";

/** @internal Work budget before a node stops incremental work for the rest of a batch and rebuilds once at its end. */
export const bulkTuning = {
  /** Incremental work (element moves and searches) a batch may always spend. @default 1 << 20 */
  minWork: 1 << 20,
};

type Listener = (target: never, change: never) => void;

/**
 * What every live node shares: its place in the graph (upstream, parent,
 * children), subscribers, once-per-batch flushing, bulk mode and disposal.
 *
 * Lifecycle: a node is built current; `apply` keeps it current change by
 * change and marks it dirty; `flush` (end of batch) notifies. In bulk mode it
 * ignores changes and rebuilds in `flush`. Disposal is final.
 */
export abstract class LiveNode<T extends BaseEntity> implements Consumer<T>, Parent<T> {
  readonly source: LiveSource;
  readonly upstream: Upstream<T>;
  readonly parent: Parent<T>;
  readonly children = new Set<Consumer<T>>();
  /** Owned by a `groupBy`: disposed only with it (or when its group empties). */
  readonly owned: boolean;
  subscribers: Set<Listener> | undefined;
  dirty = false;
  bulk = false;
  disposed = false;
  /** Incremental work this batch, compared with `rebuildCost()`. */
  work = 0;
  /** Something was chained on it: disposed with its last downstream view unless subscribed. */
  intermediate = false;

  constructor(upstream: Upstream<T>, parent: Parent<T>, owned: boolean) {
    this.source = upstream.source;
    this.upstream = upstream;
    this.parent = parent;
    this.owned = owned;
  }

  abstract apply(next: T | undefined, prev: T | undefined, from: number, to: number): void;
  /** End of batch: rebuild if in bulk mode, then notify if the contents changed. */
  abstract flush(): void;
  /** What one rebuild costs, in the units of `work`. */
  protected abstract rebuildCost(): number;
  /** Frees what the node holds once disposed. */
  protected abstract release(): void;

  /** True when this batch's incremental work passed the cost of one rebuild: the node went bulk. */
  protected overBudget(): boolean {
    if (this.work <= bulkTuning.minWork || this.work <= this.rebuildCost()) return false;
    this.enterBulk();
    return true;
  }

  attach(child: Consumer<T>): void {
    this.children.add(child);
    this.intermediate = true;
  }

  detach(child: Consumer<T>): void {
    this.children.delete(child);
    if (!this.disposed && this.intermediate && !this.owned && this.children.size === 0 && !this.subscribers?.size) this.dispose();
  }

  markDirty(): void {
    if (this.dirty) return;
    this.dirty = true;
    this.source.dirty.push(this);
  }

  enterBulk(): void {
    if (this.bulk || this.disposed) return;
    this.bulk = true;
    this.markDirty();
    for (const child of this.children) child.enterBulk();
  }

  subscribe(listener: Listener, what: string): () => void {
    if (this.disposed) throw disposedError(what, "subscribe");
    if (typeof listener !== "function") throw argumentError(`${what}.subscribe(listener): listener must be a function`);
    const subscribers = (this.subscribers ??= new Set());
    subscribers.add(listener);
    return () => {
      subscribers.delete(listener);
    };
  }

  /** Calls each subscriber once; one that throws is reported and does not stop the others. */
  protected notify(target: unknown, change: unknown): void {
    const subscribers = this.subscribers;
    if (subscribers === undefined || subscribers.size === 0) return;
    if (subscribers.size === 1) {
      // The common case, without copying the set.
      for (const listener of subscribers) {
        try {
          (listener as (target: unknown, change: unknown) => void)(target, change);
        } catch (error) {
          this.source.report(error);
        }
        return;
      }
    }
    for (const listener of [...subscribers]) {
      if (this.disposed) return;
      if (!subscribers.has(listener)) continue; // unsubscribed by an earlier one
      try {
        (listener as (target: unknown, change: unknown) => void)(target, change);
      } catch (error) {
        this.source.report(error);
      }
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const child of [...this.children]) child.dispose();
    this.children.clear();
    this.subscribers = undefined;
    this.release();
    this.parent.detach(this);
  }
}
