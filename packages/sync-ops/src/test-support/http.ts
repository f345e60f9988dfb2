import WebSocket from "ws";
import type { NotificationMessage, PendingOperation } from "../types";

/** POSTs JSON (or a raw string) and returns status and parsed body. */
export async function post(url: string, body: unknown, init: { token?: string; raw?: boolean; headers?: Record<string, string> } = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { "content-type": "application/json", ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(url, { method: "POST", headers, body: init.raw ? (body as string) : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

let clock = 1_700_000_000_000;
/** An operation of `clientId` with id `id`. */
export const op = (clientId: string, id: number, name: string, ...args: unknown[]): PendingOperation => ({ name, args, id, clientId, timestamp: clock++ });

/** A WebSocket notification listener that collects frames. */
export async function listen(url: string, options: { token?: string } = {}): Promise<{ messages: NotificationMessage[]; next(type: string, predicate?: (m: any) => boolean): Promise<any>; close(): Promise<void> }> {
  const ws = new WebSocket(url, options.token === undefined ? {} : { headers: { authorization: `Bearer ${options.token}` } });
  const messages: NotificationMessage[] = [];
  const waiters: { type: string; predicate: (m: any) => boolean; resolve: (m: any) => void }[] = [];
  ws.on("message", (data) => {
    const message = JSON.parse(String(data)) as NotificationMessage;
    messages.push(message);
    for (const w of [...waiters]) {
      if (w.type === message.type && w.predicate(message)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(message);
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  return {
    messages,
    next: (type, predicate = () => true) =>
      new Promise((resolve) => {
        const found = messages.find((m) => m.type === type && predicate(m));
        if (found) resolve(found);
        else waiters.push({ type, predicate, resolve });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === ws.CLOSED) return resolve();
        ws.once("close", () => resolve());
        ws.close();
      }),
  };
}
