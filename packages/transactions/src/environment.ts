import type { Logger, OnlineStatus, Timers } from "./types";

/** The real clock and timers, read from the globals at each call (so fake timers installed later apply). */
export const systemTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
  now: () => Date.now(),
};

type EventTargetLike = {
  addEventListener?: (type: string, listener: () => void) => void;
  removeEventListener?: (type: string, listener: () => void) => void;
};

/**
 * The browser's online status: `navigator.onLine` and the window's
 * `online`/`offline` events. Where there is no `navigator` (Node), always online.
 */
export const browserOnlineStatus: OnlineStatus = {
  isOnline() {
    const nav = (globalThis as { navigator?: { onLine?: unknown } }).navigator;
    return typeof nav?.onLine === "boolean" ? nav.onLine : true;
  },
  subscribe(listener) {
    const target = globalThis as EventTargetLike;
    if (typeof target.addEventListener !== "function") return () => {};
    target.addEventListener("online", listener);
    target.addEventListener("offline", listener);
    return () => {
      target.removeEventListener?.("online", listener);
      target.removeEventListener?.("offline", listener);
    };
  },
};

/** Log lines prefixed `[kalphite/transactions]` on `console`. */
export const consoleLogger: Logger = {
  warn: (message, ...details) => console.warn(`[kalphite/transactions] ${message}`, ...details),
  error: (message, ...details) => console.error(`[kalphite/transactions] ${message}`, ...details),
};

/** A random UUID (crypto.randomUUID where available). */
export function randomId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (typeof c?.randomUUID === "function") return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}
