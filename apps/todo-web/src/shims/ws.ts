/**
 * `ws` in the browser: the platform's own WebSocket. The sync engines import
 * `ws` for their Node default (and `@kalphite/sync-ops` does not hand an
 * injected constructor down to its base engine), so the app's bundle maps
 * `ws` here (vite.config.ts). The servers' `WebSocketServer` never runs in a
 * page: constructing one says so.
 */
const BrowserWebSocket = globalThis.WebSocket;

export { BrowserWebSocket as WebSocket };

/** Node-only: refuses to run in a browser. */
export class WebSocketServer {
  constructor() {
    throw new Error("ws.WebSocketServer is Node-only; it cannot run in the browser");
  }
}

export default BrowserWebSocket;
