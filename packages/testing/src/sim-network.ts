import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { PassThrough } from "node:stream";
import { HttpRequestError, type HttpClient, type RequestOptions } from "@kalphite/sync-ops";
import type { Random } from "./random";
import type { TimerGroup } from "./sim-clock";

/** The message faults of the simulated network (probabilities per message, in [0, 1]). */
export interface NetworkFaults {
  /** A request or an answer is lost (the client times out). @default 0.05 */
  drop: number;
  /** A request reaches the server twice (the copy's answer is thrown away). @default 0.05 */
  duplicate: number;
  /** A message is held back long enough to overtake later ones. @default 0.1 */
  reorder: number;
  /** One-way latency range, ms. @default [1, 40] */
  delay: readonly [number, number];
}

/** Counters of what the network did. */
export interface NetworkStats {
  requests: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  refused: number;
}

/**
 * An `http.Server` stand-in that `createOperationSyncServer({ server })`
 * attaches to: requests are emitted on it in-process, no socket involved.
 */
export class InProcessHttpServer extends EventEmitter {
  readonly listening = true;
  address() {
    return { address: "127.0.0.1", family: "IPv4", port: 1 };
  }

  /** Sends one request through the attached handlers; resolves with the status and body text. */
  dispatch(method: string, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve) => {
      const req = new PassThrough() as unknown as IncomingMessage & PassThrough;
      Object.assign(req, {
        method,
        url: path,
        headers: { ...lower(headers), "content-length": String(Buffer.byteLength(body)) },
        socket: { remoteAddress: "127.0.0.1" },
      });
      let status = 200;
      const resHeaders: Record<string, unknown> = {};
      const res = {
        headersSent: false,
        destroyed: false,
        writableEnded: false,
        statusCode: 200,
        setHeader(name: string, value: unknown) {
          resHeaders[name.toLowerCase()] = value;
          return res;
        },
        getHeader: (name: string) => resHeaders[name.toLowerCase()],
        writeHead(code: number, h?: Record<string, unknown>) {
          status = code;
          res.statusCode = code;
          res.headersSent = true;
          if (h) for (const [k, v] of Object.entries(h)) resHeaders[k.toLowerCase()] = v;
          return res;
        },
        write: () => true,
        end(text?: string | Buffer) {
          if (res.writableEnded) return res;
          res.writableEnded = true;
          res.headersSent = true;
          resolve({ status, body: text === undefined ? "" : String(text) });
          return res;
        },
        on: () => res,
        once: () => res,
      };
      this.emit("request", req, res as unknown as ServerResponse);
      (req as PassThrough).end(body);
    });
  }
}

function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/** The server end the network currently reaches (`undefined` while the server process is down). */
export interface ServerEndpoint {
  readonly http: InProcessHttpServer;
  /** The server process's timers (a dead server answers nothing). */
  readonly timers: TimerGroup;
}

/**
 * The simulated network between every client and the server. Each client's
 * `HttpClient` serializes its request, and the network drops, duplicates,
 * delays and reorders requests and answers with a seeded random source;
 * partitions cut one client off, and a down server refuses connections.
 * Requests reach the server through `InProcessHttpServer.dispatch`.
 */
export class SimulatedNetwork {
  server: ServerEndpoint | undefined;
  /** When `true`, no message faults apply (the end of a run). */
  healed = false;
  readonly stats: NetworkStats = { requests: 0, dropped: 0, duplicated: 0, reordered: 0, refused: 0 };
  readonly #cut = new Map<string, number>();

  constructor(
    private readonly wire: TimerGroup,
    private readonly random: Random,
    private readonly faults: NetworkFaults,
    private readonly trace: (line: string) => void,
  ) {}

  /** Cuts `clientId` off until `until` (ms since the epoch). */
  partition(clientId: string, until: number): void {
    this.#cut.set(clientId, Math.max(this.#cut.get(clientId) ?? 0, until));
  }

  /** Ends every partition and every message fault. */
  heal(): void {
    this.healed = true;
    this.#cut.clear();
  }

  #isCut(clientId: string): boolean {
    const until = this.#cut.get(clientId);
    return until !== undefined && until > this.wire.now();
  }

  #latency(): number {
    const [min, max] = this.faults.delay;
    let ms = this.random.int(min, max);
    if (!this.healed && this.random.chance(this.faults.reorder)) {
      ms += this.random.int(max, max * 10 + 50);
      this.stats.reordered++;
    }
    return ms;
  }

  #drop(): boolean {
    if (this.healed || !this.random.chance(this.faults.drop)) return false;
    this.stats.dropped++;
    return true;
  }

  /** The `HttpClient` of one client process (its answers arrive on its own timers: a dead process hears nothing). */
  client(clientId: string, timers: TimerGroup): HttpClient {
    const request = <T>(method: "GET" | "POST", endpoint: string, data: unknown, options: RequestOptions = {}): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        if (timers.dead) return;
        const url = new URL(endpoint);
        const body = method === "POST" ? JSON.stringify(data) : "";
        const label = `${method} ${url.pathname}`;
        this.stats.requests++;
        let done = false;
        const finish = (fn: () => void) => {
          if (done || timers.dead) return;
          done = true;
          timers.clearTimeout(timeout);
          fn();
        };
        const timeoutMs = options.timeout ?? 10_000;
        const timeout = timers.setTimeout(() => finish(() => reject(new HttpRequestError(`${label}: timed out after ${timeoutMs} ms`, {}))), timeoutMs);
        const refuse = (why: string) => {
          this.stats.refused++;
          timers.setTimeout(() => finish(() => reject(new HttpRequestError(`${label}: ${why}`, {}))), 1);
        };
        if (this.#isCut(clientId)) return refuse("network unreachable (partition)");
        if (!this.server) return refuse("connect ECONNREFUSED (server down)");
        if (this.#drop()) {
          this.trace(`${clientId} ${label}: request dropped`);
          return;
        }
        const deliver = (copy: boolean) => {
          this.wire.setTimeout(() => {
            const server = this.server;
            if (!server || this.#isCut(clientId)) {
              if (!copy) refuse("connection reset");
              return;
            }
            const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
            void server.http.dispatch(method, url.pathname + url.search, headers, body).then((answer) => {
              if (copy || server.timers.dead || this.server !== server) return; // the copy's answer, or a server killed mid-request
              if (this.#drop()) {
                this.trace(`${clientId} ${label}: answer dropped`);
                return;
              }
              timers.setTimeout(() => finish(() => settleAnswer(answer)), this.#latency());
            });
          }, this.#latency());
        };
        const settleAnswer = (answer: { status: number; body: string }) => {
          let parsed: unknown;
          try {
            parsed = answer.body === "" ? undefined : JSON.parse(answer.body);
          } catch {
            parsed = undefined;
          }
          if (answer.status < 200 || answer.status > 299) {
            const wire = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
            const code = typeof wire?.code === "string" ? wire.code : undefined;
            reject(new HttpRequestError(`${label}: ${answer.status}${code ? ` ${code}: ${String(wire?.message)}` : ""}`, { status: answer.status, ...(code ? { serverCode: code } : {}) }));
            return;
          }
          resolve(parsed as T);
        };
        deliver(false);
        if (!this.healed && this.random.chance(this.faults.duplicate)) {
          this.stats.duplicated++;
          this.trace(`${clientId} ${label}: request duplicated`);
          deliver(true);
        }
      });
    return {
      post: <TRequest, TResponse>(endpoint: string, data: TRequest, options?: RequestOptions) => request<TResponse>("POST", endpoint, data, options),
      get: <TResponse>(endpoint: string, options?: RequestOptions) => request<TResponse>("GET", endpoint, undefined, options),
    };
  }
}
