import WebSocket from "ws";

/**
 * `ws`'s WebSocket with an `error` listener that is never removed. An engine
 * that gives up on a connecting socket (a connect timeout) detaches its
 * handlers and terminates it; `ws` then emits `error` ("closed before the
 * connection was established"), which with no listener left would crash the
 * process. The engine has already handled the failure, so this one ignores it.
 */
export class SafeWebSocket extends WebSocket {
  constructor(address: string | URL, protocols?: string | string[], options?: WebSocket.ClientOptions) {
    super(address, protocols, options);
    this.on("error", () => undefined);
  }
}

/**
 * `{ WebSocket: SafeWebSocket }` where there is no platform WebSocket (Node 20);
 * `{}` elsewhere (a browser), so the engines use the platform's.
 */
export function serverSideWebSocket(): { WebSocket?: never } {
  return typeof (globalThis as { WebSocket?: unknown }).WebSocket === "function" ? {} : { WebSocket: SafeWebSocket as never };
}
