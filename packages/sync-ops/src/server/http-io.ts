import type { IncomingMessage, ServerResponse } from "node:http";
import { HTTP_STATUS_OF, SyncOpsErrorCode } from "../errors";

/** A request the server refuses, with its wire code. */
export class HttpRefusal extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string) {
    super(message);
    this.name = "HttpRefusal";
    this.code = code;
    this.status = HTTP_STATUS_OF[code] ?? 500;
  }
}

/** Writes `body` as JSON (unless the response is already gone). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Writes the wire error `{ error: { code, message } }`. */
export function sendError(res: ServerResponse, refusal: HttpRefusal, headers: Record<string, string> = {}): void {
  sendJson(res, refusal.status, { error: { code: refusal.code, message: refusal.message } }, headers);
}

/** The bearer token of `Authorization: Bearer <token>`, or of `?token=` (for EventSource and browser WebSockets). */
export function bearerToken(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === "string") {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    return match ? (match[1] as string) : undefined;
  }
  return url.searchParams.get("token") ?? undefined;
}

/**
 * Reads and parses a JSON body of at most `limit` bytes. Refuses with
 * `PAYLOAD_TOO_LARGE` past the limit (announced or actual) and `BAD_REQUEST`
 * for bytes that are not JSON.
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const announced = Number(req.headers["content-length"]);
    if (Number.isFinite(announced) && announced > limit) {
      req.resume();
      reject(new HttpRefusal(SyncOpsErrorCode.PayloadTooLarge, `the body is ${announced} bytes; the limit is ${limit}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        reject(new HttpRefusal(SyncOpsErrorCode.PayloadTooLarge, `the body is over the limit of ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("error", (error) => {
      if (done) return;
      done = true;
      reject(new HttpRefusal(SyncOpsErrorCode.BadRequest, `the request body could not be read: ${error.message}`));
    });
    req.on("end", () => {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString("utf8");
      if (text.trim() === "") {
        reject(new HttpRefusal(SyncOpsErrorCode.BadRequest, "the body is empty; expected JSON"));
        return;
      }
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(new HttpRefusal(SyncOpsErrorCode.BadRequest, `the body is not valid JSON: ${(error as Error).message}`));
      }
    });
  });
}
