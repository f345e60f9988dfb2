import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Random } from "../src/random";

/** Fault rates of the proxy (per request), while it is not healed. */
export interface ProxyFaults {
  /** The request is lost: the client's connection is cut before forwarding. */
  dropRequest: number;
  /** The answer is lost: forwarded (and applied), then the client's connection is cut. */
  dropAnswer: number;
  /** The request is forwarded twice; the copy's answer is thrown away. */
  duplicate: number;
  /** Extra delay before forwarding, ms (uniform in [0, maxDelayMs]). */
  maxDelayMs: number;
}

/** Counters of the faults the proxy injected. */
export interface ProxyStats {
  requests: number;
  droppedRequests: number;
  droppedAnswers: number;
  duplicated: number;
  delayed: number;
  cuts: number;
  /** Requests that found the server down (the client's connection was reset). */
  serverDown: number;
}

/**
 * A loopback HTTP proxy between the soak's clients and the server that
 * drops, delays and duplicates requests, loses answers and cuts every open
 * connection on demand. `target` is read per request (the server restarts
 * on the same port).
 */
export class FaultProxy {
  readonly stats: ProxyStats = { requests: 0, droppedRequests: 0, droppedAnswers: 0, duplicated: 0, delayed: 0, cuts: 0, serverDown: 0 };
  healed = false;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();

  constructor(
    private readonly target: () => { port: number } | undefined,
    private readonly random: Random,
    private readonly faults: ProxyFaults,
  ) {}

  async listen(): Promise<string> {
    const server = createServer((req, res) => this.#handle(req, res));
    server.keepAliveTimeout = 60_000;
    server.on("connection", (socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.#server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Cuts every open client connection (requests in flight lose their answers). */
  cut(): void {
    this.stats.cuts++;
    for (const socket of this.#sockets) socket.destroy();
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  #forward(req: IncomingMessage, body: Buffer, port: number): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer } | undefined> {
    return new Promise((resolve) => {
      const headers = { ...req.headers, host: `127.0.0.1:${port}`, "content-length": String(body.length) };
      delete headers.connection;
      const out = request({ host: "127.0.0.1", port, method: req.method, path: req.url, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", () => resolve(undefined));
      });
      out.on("error", () => resolve(undefined));
      out.end(body);
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", () => undefined);
    req.on("end", () => {
      void (async () => {
        this.stats.requests++;
        const body = Buffer.concat(chunks);
        const faulty = !this.healed;
        const r = this.random;
        if (faulty && r.chance(this.faults.dropRequest)) {
          this.stats.droppedRequests++;
          req.socket.destroy();
          return;
        }
        if (faulty && this.faults.maxDelayMs > 0) {
          const ms = r.int(0, this.faults.maxDelayMs);
          if (ms > 0) {
            this.stats.delayed++;
            await new Promise((resolve) => setTimeout(resolve, ms));
          }
        }
        const target = this.target();
        if (!target) {
          this.stats.serverDown++;
          req.socket.destroy();
          return;
        }
        const duplicate = faulty && r.chance(this.faults.duplicate);
        const dropAnswer = faulty && r.chance(this.faults.dropAnswer);
        const answer = this.#forward(req, body, target.port);
        if (duplicate) {
          this.stats.duplicated++;
          setTimeout(() => void this.#forward(req, body, target.port), r.int(0, 20));
        }
        const got = await answer;
        if (!got) {
          this.stats.serverDown++;
          req.socket.destroy();
          return;
        }
        if (dropAnswer) {
          this.stats.droppedAnswers++;
          req.socket.destroy();
          return;
        }
        const headers = { ...got.headers };
        delete headers["transfer-encoding"];
        delete headers.connection;
        headers["content-length"] = String(got.body.length);
        if (!res.destroyed) res.writeHead(got.status, headers).end(got.body);
      })();
    });
  }
}
