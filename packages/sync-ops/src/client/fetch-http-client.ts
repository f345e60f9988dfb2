import { SyncOpsError, SyncOpsErrorCode, messageOf } from "../errors";
import type { HttpClient, RequestOptions } from "../types";

/** Options of `createFetchHttpClient`. */
export interface FetchHttpClientOptions {
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Default request timeout, ms. @default 10000 */
  timeout?: number;
}

/** The body of a failed answer, when it is the wire's `{ error: { code, message } }`. */
function wireError(body: unknown): { code: string; message: string } | undefined {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return typeof error?.code === "string" && typeof error.message === "string" ? { code: error.code, message: error.message } : undefined;
}

/**
 * An error from `HttpClient`: `status` is the HTTP status (undefined for a
 * network error or a timeout), `serverCode` the wire code of the answer.
 */
export class HttpRequestError extends SyncOpsError {
  readonly serverCode: string | undefined;
  constructor(message: string, options: { status?: number; serverCode?: string; cause?: unknown }) {
    super(SyncOpsErrorCode.RequestFailed, message, {
      ...(options.status === undefined ? {} : { status: options.status }),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.name = "HttpRequestError";
    this.serverCode = options.serverCode;
  }
}

/**
 * The default `HttpClient`, on `fetch`: JSON in and out, a timeout per
 * request, non-2xx answers thrown as `HttpRequestError` with the server's code
 * and message. It does not retry (`ModernSyncEngine` does, with backoff).
 */
export function createFetchHttpClient(options: FetchHttpClientOptions = {}): HttpClient {
  const request = async <T>(method: "GET" | "POST", url: string, data: unknown, opts: RequestOptions = {}): Promise<T> => {
    const doFetch = options.fetch ?? globalThis.fetch;
    const timeout = opts.timeout ?? options.timeout ?? 10_000;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeout);
    let res: Response;
    try {
      res = await doFetch(url, {
        method,
        headers: { accept: "application/json", ...(method === "POST" ? { "content-type": "application/json" } : {}), ...opts.headers },
        ...(method === "POST" ? { body: JSON.stringify(data) } : {}),
        signal: controller.signal,
      });
    } catch (error) {
      clearTimeout(timer);
      const what = controller.signal.aborted ? `timed out after ${timeout} ms` : messageOf((error as { cause?: unknown }).cause ?? error);
      throw new HttpRequestError(`${method} ${url}: ${what}`, { cause: error });
    }
    let text: string;
    try {
      text = await res.text();
    } catch (error) {
      throw new HttpRequestError(`${method} ${url}: the answer could not be read: ${messageOf(error)}`, { status: res.status, cause: error });
    } finally {
      clearTimeout(timer);
    }
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const wire = wireError(body);
      throw new HttpRequestError(`${method} ${url}: ${res.status} ${wire ? `${wire.code}: ${wire.message}` : res.statusText}`, {
        status: res.status,
        ...(wire ? { serverCode: wire.code } : {}),
      });
    }
    if (body === undefined) throw new SyncOpsError(SyncOpsErrorCode.ProtocolError, `${method} ${url}: the answer is not JSON`, { status: res.status });
    return body as T;
  };
  return {
    post: <TRequest, TResponse>(endpoint: string, data: TRequest, opts?: RequestOptions) => request<TResponse>("POST", endpoint, data, opts),
    get: <TResponse>(endpoint: string, opts?: RequestOptions) => request<TResponse>("GET", endpoint, undefined, opts),
  };
}
