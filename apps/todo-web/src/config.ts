import { TodoWebError, TodoWebErrorCode } from "./errors";

/** What the page needs to know to start. */
export interface AppConfig {
  /** The sync server's base URL (`http://127.0.0.1:8787`); operations go to `<server>/sync/operations`. */
  server: string;
  /** A bearer token for the server, when it wants one. */
  token: string | undefined;
  /** The IndexedDB database name (one per user of the page). @default "kalphite-todo" */
  dbName: string;
  /** The user id sent to the server (presence). @default "web" */
  userId: string;
}

/** Config injected by the serving script as `window.KALPHITE_CONFIG` (see `/config.js`). */
declare global {
  interface Window {
    KALPHITE_CONFIG?: Partial<AppConfig>;
  }
}

/**
 * Reads the config: query parameters (`?server=…&token=…&db=…&user=…`) win
 * over `window.KALPHITE_CONFIG`; the server defaults to the page's own origin.
 * @throws TodoWebError `INVALID_CONFIG` for a server URL that is not http(s)
 */
export function readConfig(location: Location, injected: Partial<AppConfig> = {}): AppConfig {
  const query = new URLSearchParams(location.search);
  const server = query.get("server") ?? injected.server ?? location.origin;
  let url: URL;
  try {
    url = new URL(server);
  } catch (cause) {
    throw new TodoWebError(TodoWebErrorCode.InvalidConfig, `the sync server URL ${JSON.stringify(server)} is not a URL`, { cause });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TodoWebError(TodoWebErrorCode.InvalidConfig, `the sync server URL must be http(s), got ${JSON.stringify(server)}`);
  return {
    server: url.href.replace(/\/$/, ""),
    token: query.get("token") ?? injected.token ?? undefined,
    dbName: query.get("db") ?? injected.dbName ?? "kalphite-todo",
    userId: query.get("user") ?? injected.userId ?? "web",
  };
}
