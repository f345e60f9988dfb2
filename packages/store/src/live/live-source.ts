import type { CollectionObserver, CollectionState } from "../internal/collection-state";
import type { BaseEntity, ChangeOperation, EntityId } from "../types";
import { CHAIN } from "./chain";
import { combineErrors } from "./live-errors";
import type { Consumer, Upstream } from "./node-types";
import { CollectionOrder } from "./order";

/** The error list of a change or flush in which nothing threw yet (shared, never written: \`report\` replaces it). */
const NONE_YET: unknown[] = Object.freeze([]) as unknown as unknown[];

/** A node flushed at the end of a batch. */
interface Flushable {
  flush(): void;
}

/**
 * One collection as the upstream of its live views: the store's only observer
 * of the collection for all of them (registered while at least one view
 * exists), the collection-order ranks, and the list of views to flush at the
 * end of the batch, in the order they changed (so upstream views flush before
 * the views built on them).
 */
export class LiveSource implements Upstream<BaseEntity>, CollectionObserver<BaseEntity> {
  readonly state: CollectionState<BaseEntity>;
  readonly order: CollectionOrder;
  readonly steps = CHAIN;
  readonly stale = false;
  /** Views built directly on the collection. */
  readonly #roots = new Set<Consumer<BaseEntity>>();
  #unobserve: (() => void) | undefined;
  /** Nodes that changed this batch, in the order they first did. */
  dirty: Flushable[] = [];
  #spareDirty: Flushable[] = [];
  #after: (() => void)[] = [];
  /** Counts flushes; a node remembers the round it last notified in. */
  round = 0;
  /** Errors thrown by callbacks during the current change or flush, reported to the store at its end. */
  #errors: unknown[] | undefined;

  constructor(state: CollectionState<BaseEntity>) {
    this.state = state;
    this.order = new CollectionOrder(state);
  }

  get source(): LiveSource {
    return this;
  }

  get items(): readonly BaseEntity[] {
    return this.state.items;
  }

  attach(root: Consumer<BaseEntity>): void {
    this.#roots.add(root);
    this.#unobserve ??= this.state.core.observe(this.state, this);
  }

  detach(root: Consumer<BaseEntity>): void {
    this.#roots.delete(root);
    if (this.#roots.size > 0 || this.#unobserve === undefined) return;
    this.#unobserve();
    this.#unobserve = undefined;
    this.dirty = [];
    this.#after = [];
  }

  /** From the store, right after the collection changed. */
  change(_operation: ChangeOperation, id: EntityId, next: BaseEntity | undefined, prev: BaseEntity | undefined, seq: number): void {
    const outer = this.#begin();
    this.order.pin(id, seq);
    try {
      for (const root of this.#roots) {
        try {
          root.apply(next, prev, -1, -1);
        } catch (error) {
          this.report(error);
        }
      }
    } finally {
      this.order.pin(undefined, -1);
      this.#end(outer);
    }
  }

  /** From the store, once at the end of every batch with a change: views rebuild if need be, then notify. */
  flush(): void {
    this.round++;
    const outer = this.#begin();
    try {
      while (this.dirty.length > 0 || this.#after.length > 0) {
        const dirty = this.dirty;
        if (dirty.length > 0) {
          // Nodes dirtied while these flush go to the spare list (reused: no allocation per batch).
          this.dirty = this.#spareDirty !== dirty ? this.#spareDirty : [];
          for (const node of dirty) node.flush();
          while (dirty.length > 0) dirty.pop(); // (cheaper than the length setter for a few items)
          this.#spareDirty = dirty;
          continue;
        }
        const after = this.#after;
        this.#after = [];
        for (const task of after) task();
      }
    } finally {
      this.#end(outer);
    }
  }

  /** Runs `task` once every dirty view of this flush has flushed. */
  afterFlush(task: () => void): void {
    this.#after.push(task);
  }

  /** A callback threw: reported to the store (its `onListenerError`) when the current change or flush ends. */
  report(error: unknown): void {
    if (this.#errors === undefined) throw error;
    if (this.#errors === NONE_YET) this.#errors = [];
    this.#errors.push(error);
  }

  /** Starts collecting callback errors (a change may run inside a flush: keep the outer list). */
  #begin(): unknown[] | undefined {
    const outer = this.#errors;
    this.#errors = NONE_YET;
    return outer;
  }

  /** Stops collecting; throws what was collected, for the store to report. */
  #end(outer: unknown[] | undefined): void {
    const errors = this.#errors!;
    this.#errors = outer;
    if (errors.length > 0) throw combineErrors(errors);
  }
}
