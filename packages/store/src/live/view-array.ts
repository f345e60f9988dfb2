import type { BaseEntity } from "../types";
import { readOnlyError } from "./live-errors";
import type { LiveView } from "./live-types";
import { SAFE_READS } from "./safe-reads";
import { NODE, PEEK_LIMIT, hostOf, type ViewHost } from "./view-host";

type Method = (...args: unknown[]) => unknown;
const ArrayProto = Array.prototype as unknown as Record<string, Method>;

// Reads that call no user code run natively on the raw array: one Proxy
// forward to find the method, then plain-array speed.
const NATIVE_READS = [
  "at", "concat", "flat", "includes", "indexOf", "join", "lastIndexOf", "toLocaleString", "toString",
  "toReversed", "toSorted", "toSpliced", "with",
] as const;
const MUTATORS = ["push", "pop", "shift", "unshift", "splice", "sort", "reverse", "fill", "copyWithin"] as const;

/**
 * The members every view carries as its own (non-enumerable) properties. They
 * are own properties, not a prototype, because V8's array builtins keep their
 * fast paths only on arrays whose prototype is `Array.prototype`.
 */
const DESCRIPTORS: PropertyDescriptorMap = {
  ...SAFE_READS,
  filter: { value: function filter(this: unknown, predicate: unknown) { return steps(this).filter(hostOf(this), predicate, "filter"); } },
  where: { value: function where(this: unknown, predicate: unknown) { return steps(this).filter(hostOf(this), predicate, "where"); } },
  orderBy: { value: function orderBy(this: unknown, key: unknown, direction?: unknown) { return steps(this).orderBy(hostOf(this), key, direction); } },
  limit: { value: function limit(this: unknown, count: unknown) { return steps(this).limit(hostOf(this), count); } },
  offset: { value: function offset(this: unknown, count: unknown) { return steps(this).offset(hostOf(this), count); } },
  groupBy: { value: function groupBy(this: unknown, key: unknown) { return steps(this).groupBy(hostOf(this), key); } },
  subscribe: {
    value: function subscribe(this: unknown, listener: unknown) {
      const host = hostOf(this);
      return host.subscribe(listener as (view: never, change: never) => void, host.label);
    },
  },
  dispose: { value: function dispose(this: unknown) { hostOf(this).disposeView(); } },
  disposed: { get: function disposed(this: unknown) { return hostOf(this).disposed; } },
};
const define = (key: string, value: Method) => Object.defineProperty(DESCRIPTORS, key, { value: { value }, enumerable: true });
for (const name of NATIVE_READS) {
  const native = ArrayProto[name]!;
  define(name, function readOnRaw(this: unknown) {
    // eslint-disable-next-line prefer-rest-params
    return native.apply(hostOf(this).items, arguments as unknown as unknown[]);
  });
}
// The first rows of a view with pending edits are read without applying them.
const arraySlice = Array.prototype.slice;
const hasOwn = Object.prototype.hasOwnProperty;
define("slice", function slice(this: unknown, start?: unknown, end?: unknown) {
  const host = hostOf(this);
  if (host.pending) {
    const n = host.size;
    const relative = (v: unknown, fallback: number) => {
      if (v === undefined) return fallback;
      const x = Math.trunc(Number(v)) || 0;
      return x < 0 ? Math.max(n + x, 0) : Math.min(x, n);
    };
    const from = relative(start, 0);
    const to = relative(end, n);
    if (to <= PEEK_LIMIT) return from < to ? host.peek(from, to) : [];
  }
  // eslint-disable-next-line prefer-rest-params
  return arraySlice.apply(host.items, arguments as unknown as [number?, number?]);
});
for (const name of MUTATORS) {
  define(name, function refuse(this: unknown): never {
    throw readOnlyError(hostOf(this).label, `${name}()`);
  });
}

function steps(self: unknown) {
  return hostOf(self).source.steps;
}

/**
 * Writes through the Proxy are refused. Reads have no trap and reach the raw
 * array, except while the node holds edits it has not applied yet (see
 * `ArrayNode`): then a `get` trap answers `length` from the node and applies
 * the edits before any other read, which removes the trap again.
 */
function guard<T extends BaseEntity>(host: ViewHost<T>): { handler: ProxyHandler<T[]>; setLazy: (lazy: boolean) => void } {
  const settle = () => {
    if (host.pending) void host.items;
  };
  const lazyGet = (target: T[], key: PropertyKey, receiver: unknown): unknown => {
    if (key === "length") return host.size;
    if (typeof key === "string" && key.length <= 3 && key >= "0" && key <= "9" && /^(0|[1-9]\d*)$/.test(key) && Number(key) < PEEK_LIMIT) {
      return host.peek(Number(key), Number(key) + 1)[0];
    }
    // Members (methods) apply the edits themselves when they read rows.
    if (key !== NODE && !hasOwn.call(DESCRIPTORS, key)) void host.items;
    return Reflect.get(target, key, receiver);
  };
  const handler: ProxyHandler<T[]> = {
    has(target, key) {
      settle();
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      settle();
      return Reflect.ownKeys(target);
    },
    getOwnPropertyDescriptor(target, key) {
      settle();
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
    set(target, key) {
      throw readOnlyError(hostOf(target).label, key === "length" ? "length = n" : `[${String(key)}] = …`);
    },
    defineProperty(target, key) {
      throw readOnlyError(hostOf(target).label, `defineProperty(${String(key)})`);
    },
    deleteProperty(target, key) {
      throw readOnlyError(hostOf(target).label, `delete [${String(key)}]`);
    },
    preventExtensions(target) {
      throw readOnlyError(hostOf(target).label, "freeze/seal/preventExtensions");
    },
    setPrototypeOf(target) {
      throw readOnlyError(hostOf(target).label, "setPrototypeOf");
    },
  };
  const setLazy = (lazy: boolean) => {
    (handler as { get?: unknown }).get = lazy ? lazyGet : undefined;
  };
  return { handler, setLazy };
}

/** Creates a node's raw array (a plain `Array` carrying the view members) and the guarded view over it. */
export function createViewArray<T extends BaseEntity>(host: ViewHost<T>): { array: T[]; view: LiveView<T>; setLazy: (lazy: boolean) => void } {
  const array: T[] = [];
  Object.defineProperty(array, NODE, { value: host });
  Object.defineProperties(array, DESCRIPTORS);
  const { handler, setLazy } = guard(host);
  return { array, view: new Proxy(array, handler) as unknown as LiveView<T>, setLazy };
}
