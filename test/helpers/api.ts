/**
 * weft's CLI API client (src/cli/client.ts) for tests and benches that talk to a daemon's
 * unix socket with their own path prefix: '' sends paths as given (tests name the API
 * version themselves, or none), '/v1.41' suits an older dockerd.
 */
import { ApiClient, ApiError, encodeQuery, type QueryValue, type RawResponse, type RequestOptions } from '../../src/cli/client.js';

export class SocketClient extends ApiClient {
  constructor(readonly socket: string, private readonly prefix = '') {
    super(`unix://${socket}`);
  }

  override path(p: string, query?: Record<string, QueryValue>): string {
    return `${this.prefix}${p}${encodeQuery(query)}`;
  }

  /** A JSON request that must succeed; failures name what was being done, status and message. */
  must<T = any>(method: string, p: string, what: string, body?: unknown): Promise<T> {
    return this.json<T>(method, p, { body }).catch((err) => Promise.reject(named(what, err)));
  }

  /** A request that must succeed, its body not decoded (e.g. a progress stream). */
  mustRequest(method: string, p: string, what: string, opts: RequestOptions): Promise<RawResponse> {
    return this.request(method, p, opts).catch((err) => Promise.reject(named(what, err)));
  }

  /** Whether the daemon answers GET /_ping with 200 (false while it is not up yet). */
  async ping(): Promise<boolean> {
    try {
      return (await this.request('GET', '/_ping')).status === 200;
    } catch {
      return false;
    }
  }
}

function named(what: string, err: unknown): unknown {
  return err instanceof ApiError ? new Error(`${what}: ${err.status} ${JSON.stringify({ message: err.message })}`) : err;
}
