import type { WebSocketConstructor, WebSocketLike } from "@kalphite/sync-ops";

/**
 * The browser's WebSocket in the shape the engine calls: `new WS(url, {
 * headers })`. A browser WebSocket cannot send headers (its second argument
 * is the subprotocol list, and an object there throws), so the bearer token
 * rides in the query, which the server's notification endpoint accepts.
 */
export function browserWebSocket(token: string | undefined): WebSocketConstructor {
  return function BrowserWebSocket(url: string): WebSocketLike {
    const target = new URL(url);
    if (token !== undefined) target.searchParams.set("token", token);
    return new globalThis.WebSocket(target) as unknown as WebSocketLike;
  } as unknown as WebSocketConstructor;
}
