import type { FlushTimers } from "@kalphite/flush";
import { backoff } from "./backoff";

/** The part of a WebSocket the engine uses (`ws` and the browser's both fit). */
export interface WebSocketLike {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor; `options.headers` carries `Authorization` (the `ws` package honours it). */
export type WebSocketConstructor = new (url: string, options?: { headers?: Record<string, string> }) => WebSocketLike;

/** Options of `NotificationChannel`. */
export interface NotificationChannelOptions {
  kind: "websocket" | "sse";
  /** Read at every (re)connection, so a replaced token is used. */
  url: () => string;
  headers: () => Record<string, string>;
  WebSocket: WebSocketConstructor;
  fetch: typeof fetch;
  timers: Required<FlushTimers>;
  random: () => number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  onOpen(): void;
  onMessage(text: string): void;
  onClose(): void;
  /** An attempt failed (a retry is scheduled). */
  onAttemptFailed?(): void;
}

/**
 * A notification connection (WebSocket or SSE) that reconnects with backoff
 * and jitter until `stop()`.
 *
 * ```
 *   start()        open            close/error
 *  idle ───▶ opening ───▶ open ──────────────▶ waiting ──(backoff)──▶ opening
 *    ▲          │ fail                                  ▲
 *    │          └───────────────────────────────────────┘
 *    └───────────── stop() from any state
 * ```
 */
export class NotificationChannel {
  readonly #o: NotificationChannelOptions;
  #state: "idle" | "opening" | "open" | "waiting" = "idle";
  #attempt = 0;
  #timer: unknown;
  #close: (() => void) | undefined;
  #generation = 0;

  constructor(options: NotificationChannelOptions) {
    this.#o = options;
  }

  get state(): "idle" | "opening" | "open" | "waiting" {
    return this.#state;
  }

  start(): void {
    if (this.#state !== "idle") return;
    this.#open();
  }

  stop(): void {
    this.#generation++;
    this.#state = "idle";
    if (this.#timer !== undefined) this.#o.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    const close = this.#close;
    this.#close = undefined;
    close?.();
  }

  #transition(event: "opened" | "failed", generation: number): void {
    if (generation !== this.#generation) return; // a connection stop() already abandoned
    if (event === "opened") {
      this.#state = "open";
      this.#attempt = 0;
      this.#o.onOpen();
      return;
    }
    const wasOpen = this.#state === "open";
    this.#close = undefined;
    this.#state = "waiting";
    if (wasOpen) this.#o.onClose();
    else this.#o.onAttemptFailed?.();
    const delay = backoff(this.#attempt++, this.#o.reconnectBaseMs, this.#o.reconnectMaxMs, this.#o.random);
    this.#timer = this.#o.timers.setTimeout(() => {
      this.#timer = undefined;
      if (generation === this.#generation && this.#state === "waiting") this.#open();
    }, delay);
  }

  #open(): void {
    this.#state = "opening";
    const generation = ++this.#generation;
    if (this.#o.kind === "websocket") this.#openWebSocket(generation);
    else this.#openEventStream(generation);
  }

  #openWebSocket(generation: number): void {
    let ws: WebSocketLike;
    try {
      ws = new this.#o.WebSocket(this.#o.url(), { headers: this.#o.headers() });
    } catch {
      this.#transition("failed", generation);
      return;
    }
    let failed = false;
    const fail = () => {
      if (failed) return;
      failed = true;
      this.#transition("failed", generation);
    };
    ws.onopen = () => this.#transition("opened", generation);
    ws.onmessage = (event) => {
      if (generation === this.#generation) this.#o.onMessage(typeof event.data === "string" ? event.data : String(event.data));
    };
    ws.onerror = fail;
    ws.onclose = fail;
    this.#close = () => {
      ws.onclose = null;
      ws.onerror = () => undefined;
      ws.onmessage = null;
      try {
        ws.close(1000, "client closing");
      } catch {
        // not open yet
      }
    };
  }

  #openEventStream(generation: number): void {
    const controller = new AbortController();
    this.#close = () => controller.abort();
    void (async () => {
      try {
        const res = await this.#o.fetch(this.#o.url(), { headers: { accept: "text/event-stream", ...this.#o.headers() }, signal: controller.signal });
        if (!res.ok || !res.body) throw new Error(`SSE ${res.status}`);
        this.#transition("opened", generation);
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        let data: string[] = [];
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let newline: number;
          while ((newline = buffer.indexOf("\n")) >= 0) {
            const line = buffer.slice(0, newline).replace(/\r$/, "");
            buffer = buffer.slice(newline + 1);
            if (line === "") {
              if (data.length > 0 && generation === this.#generation) this.#o.onMessage(data.join("\n"));
              data = [];
            } else if (line.startsWith("data:")) {
              data.push(line.slice(5).replace(/^ /, ""));
            }
          }
        }
        throw new Error("SSE stream ended");
      } catch {
        if (!controller.signal.aborted) this.#transition("failed", generation);
      }
    })();
  }
}
