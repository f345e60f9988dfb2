import type { BaseEntity } from "../types";
import { hostOf, type Cursor, type ViewHost } from "./view-host";

type Callback = (value: unknown, index: number, view: unknown) => unknown;

/**
 * Runs `body` over a cursor: the view's own array, or a snapshot of it taken
 * the moment the view is about to change. So a loop whose callback writes to
 * the store sees every entity the view held when the loop began, once.
 */
function withCursor<R>(self: unknown, body: (cursor: Cursor<BaseEntity>, host: ViewHost<BaseEntity>) => R): R {
  const host = hostOf<BaseEntity>(self);
  const cursor = host.openCursor();
  try {
    return body(cursor, host);
  } finally {
    host.closeCursor(cursor);
  }
}

function callable(fn: unknown, method: string): Callback {
  if (typeof fn !== "function") throw new TypeError(`view.${method}: ${String(fn)} is not a function`);
  return fn as Callback;
}

/** Iterates a cursor; closes it when done or abandoned through `return()` (as `for…of` does on `break`). */
class ViewIterator implements IterableIterator<unknown> {
  readonly #host: ViewHost<BaseEntity>;
  readonly #cursor: Cursor<BaseEntity>;
  readonly #kind: "values" | "keys" | "entries";
  #index = 0;
  #done = false;

  constructor(host: ViewHost<BaseEntity>, kind: "values" | "keys" | "entries") {
    this.#host = host;
    this.#cursor = host.openCursor();
    this.#kind = kind;
  }

  next(): IteratorResult<unknown> {
    const items = this.#cursor.items;
    if (!this.#done && this.#index < items.length) {
      const index = this.#index++;
      const value = this.#kind === "values" ? items[index] : this.#kind === "keys" ? index : [index, items[index]];
      return { value, done: false };
    }
    return this.return();
  }

  return(): IteratorResult<unknown> {
    if (!this.#done) {
      this.#done = true;
      this.#host.closeCursor(this.#cursor);
    }
    return { value: undefined, done: true };
  }

  [Symbol.iterator](): this {
    return this;
  }
}

function values(this: unknown): ViewIterator {
  return new ViewIterator(hostOf(this), "values");
}

/** The view's iterating read methods, on snapshot-safe cursors; same contracts as `Array.prototype`'s. */
export const SAFE_READS: PropertyDescriptorMap = {
  [Symbol.iterator]: { value: values },
  values: { value: values },
  keys: { value: function keys(this: unknown) { return new ViewIterator(hostOf(this), "keys"); } },
  entries: { value: function entries(this: unknown) { return new ViewIterator(hostOf(this), "entries"); } },
  forEach: {
    value: function forEach(this: unknown, fn: unknown, thisArg?: unknown): void {
      const cb = callable(fn, "forEach");
      withCursor(this, (c, host) => {
        for (let i = 0; i < c.items.length; i++) cb.call(thisArg, c.items[i], i, host.view);
      });
    },
  },
  map: {
    value: function map(this: unknown, fn: unknown, thisArg?: unknown): unknown[] {
      const cb = callable(fn, "map");
      return withCursor(this, (c, host) => {
        const out = new Array<unknown>(c.items.length);
        for (let i = 0; i < out.length; i++) out[i] = cb.call(thisArg, c.items[i], i, host.view);
        return out;
      });
    },
  },
  flatMap: {
    value: function flatMap(this: unknown, fn: unknown, thisArg?: unknown): unknown[] {
      const cb = callable(fn, "flatMap");
      return withCursor(this, (c, host) => {
        const out: unknown[] = [];
        for (let i = 0; i < c.items.length; i++) {
          const result = cb.call(thisArg, c.items[i], i, host.view);
          if (Array.isArray(result)) for (const item of result as unknown[]) out.push(item);
          else out.push(result);
        }
        return out;
      });
    },
  },
  some: { value: search("some", (found) => found !== -1) },
  every: { value: search("every", (found) => found === -1, true) },
  find: { value: search("find", (found, items) => (found === -1 ? undefined : items[found])) },
  findIndex: { value: search("findIndex", (found) => found) },
  findLast: { value: search("findLast", (found, items) => (found === -1 ? undefined : items[found]), false, true) },
  findLastIndex: { value: search("findLastIndex", (found) => found, false, true) },
  reduce: { value: fold("reduce", false) },
  reduceRight: { value: fold("reduceRight", true) },
};

/** A first-match scan (`every` looks for the first failure). */
function search(method: string, answer: (found: number, items: readonly unknown[]) => unknown, negate = false, fromEnd = false) {
  return function (this: unknown, fn: unknown, thisArg?: unknown): unknown {
    const cb = callable(fn, method);
    return withCursor(this, (c, host) => {
      const n = c.items.length;
      // A cursor's length never changes (a change swaps in a snapshot of the same contents).
      for (let k = 0; k < n; k++) {
        const i = fromEnd ? n - 1 - k : k;
        if (Boolean(cb.call(thisArg, c.items[i], i, host.view)) !== negate) return answer(i, c.items);
      }
      return answer(-1, c.items);
    });
  };
}

function fold(method: string, fromEnd: boolean) {
  return function (this: unknown, fn: unknown, ...initial: unknown[]): unknown {
    const cb = callable(fn, method) as unknown as (acc: unknown, value: unknown, index: number, view: unknown) => unknown;
    return withCursor(this, (c, host) => {
      const n = c.items.length;
      const at = (k: number) => (fromEnd ? n - 1 - k : k);
      let k = 0;
      let acc = initial[0];
      if (initial.length === 0) {
        if (n === 0) throw new TypeError("Reduce of empty array with no initial value");
        acc = c.items[at(k++)];
      }
      for (; k < n; k++) acc = cb(acc, c.items[at(k)], at(k), host.view);
      return acc;
    });
  };
}
