/**
 * A small client for weft's Docker-Engine-shaped HTTP API (v1.50 paths) over a unix socket
 * (or tcp://, for completeness). JSON in and out, plus the two streaming forms the CLI
 * needs: long-lived GET/POST bodies (logs -f, wait) and hijacked connections (attach,
 * exec start) that the daemon upgrades with `101` exactly like dockerd does.
 *
 * Error bodies are interpreted the way the docker CLI does (docker/client request.go
 * checkResponseErr), so a daemon bug that would garble the docker CLI's output garbles
 * ours too instead of being papered over:
 *  - JSON is parsed only when Content-Type is exactly `application/json`;
 *  - `{"message": ...}` gives the message, JSON without it gives
 *    "API returned a 404 (Not Found) but provided no error-message";
 *  - any other content type: the body, trimmed; an empty body: "request returned ...".
 */
import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable } from 'node:stream';

export const API_VERSION = '1.50';
export const DEFAULT_HOST = 'unix:///run/weft/weft.sock';

/** A non-2xx/3xx answer from the daemon. `message` is what follows "Error response from daemon: ". */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The daemon could not be reached at all (no socket, refused, permission denied). */
export class DaemonUnreachableError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
    this.name = 'DaemonUnreachableError';
  }
}

export type Endpoint =
  | { kind: 'unix'; socketPath: string; host: string }
  | { kind: 'tcp'; hostname: string; port: number; host: string };

/** Parse `-H`: `unix:///path`, a bare `/path`, or `tcp://host:port`. */
export function parseHost(host: string): Endpoint {
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    if (!socketPath) throw new Error(`invalid host ${JSON.stringify(host)}: empty socket path`);
    return { kind: 'unix', socketPath, host };
  }
  if (host.startsWith('/')) return { kind: 'unix', socketPath: host, host: `unix://${host}` };
  const m = /^(?:tcp|http):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(host);
  if (m) {
    const hostname = m[1]!.replace(/^\[|\]$/g, '');
    return { kind: 'tcp', hostname, port: m[2] ? Number(m[2]) : 2375, host };
  }
  throw new Error(`invalid host ${JSON.stringify(host)}: use unix:///path/to/socket or tcp://host:port`);
}

export type QueryValue = string | number | boolean | undefined | null;

/**
 * Encode a query like Go's url.Values.Encode: keys sorted; undefined, null, '' and `false`
 * dropped (the docker client only sets flags that are on); `true` becomes `1`.
 */
export function encodeQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const key of Object.keys(query).sort()) {
    const v = query[key];
    if (v === undefined || v === null || v === '' || v === false) continue;
    params.append(key, v === true ? '1' : String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** Docker's filter encoding: `{"key":{"value":true}}` from repeated `key=value` flags. */
export function encodeFilters(filters: string[]): string | undefined {
  if (filters.length === 0) return undefined;
  const out: Record<string, Record<string, boolean>> = {};
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new UsageError(`bad format of filter (expected name=value)`);
    const key = f.slice(0, eq).trim().toLowerCase();
    const value = f.slice(eq + 1);
    (out[key] ??= {})[value] = true;
  }
  // Go marshals maps with sorted keys.
  const sorted: Record<string, Record<string, boolean>> = {};
  for (const k of Object.keys(out).sort()) {
    sorted[k] = {};
    for (const v of Object.keys(out[k]!).sort()) sorted[k][v] = true;
  }
  return JSON.stringify(sorted);
}

/** An error in what the user typed, detected client-side (nothing was sent). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** JSON-encoded and sent with Content-Type: application/json. */
  body?: unknown;
  /** Sent as-is (Content-Type from headers, default application/octet-stream). */
  rawBody?: Buffer | string;
  headers?: Record<string, string>;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A hijacked (101) or streamed response: read `stream`; `contentType` tells mux vs raw. */
export interface StreamResponse {
  status: number;
  contentType: string;
  stream: Readable;
  /** Set for 101 upgrades: the raw socket, writable for stdin. */
  socket?: Duplex;
  close(): void;
}

const USER_AGENT = 'weft-cli/0.1.0';

export class ApiClient {
  readonly endpoint: Endpoint;

  constructor(readonly host: string) {
    this.endpoint = parseHost(host);
  }

  /** `/v1.50` + path (path starts with `/`), plus the encoded query. */
  path(path: string, query?: Record<string, QueryValue>): string {
    return `/v${API_VERSION}${path}${encodeQuery(query)}`;
  }

  private baseOptions(method: string, path: string, headers: Record<string, string>): http.RequestOptions {
    const common: http.RequestOptions = {
      method,
      path,
      headers: { 'User-Agent': USER_AGENT, ...headers },
      agent: false,
    };
    if (this.endpoint.kind === 'unix') return { ...common, socketPath: this.endpoint.socketPath, host: 'weft' };
    return { ...common, host: this.endpoint.hostname, port: this.endpoint.port };
  }

  private prepare(opts: RequestOptions): { payload: Buffer | undefined; headers: Record<string, string> } {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      payload = Buffer.from(JSON.stringify(opts.body));
      headers['Content-Type'] ??= 'application/json';
    } else if (opts.rawBody !== undefined) {
      payload = Buffer.isBuffer(opts.rawBody) ? opts.rawBody : Buffer.from(opts.rawBody);
      headers['Content-Type'] ??= 'application/octet-stream';
    }
    headers['Content-Length'] = String(payload?.length ?? 0);
    return { payload, headers };
  }

  private connectError(err: NodeJS.ErrnoException): Error {
    const code = err.code;
    if (code === 'EACCES' || code === 'EPERM') {
      return new DaemonUnreachableError(
        `permission denied while trying to connect to the weft daemon socket at ${this.host}: ${err.message}`,
        code,
      );
    }
    if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ENOTSOCK' || code === 'EHOSTUNREACH' ||
        code === 'ENOTFOUND' || code === 'ECONNRESET' || code === 'EAI_AGAIN') {
      return new DaemonUnreachableError(
        `Cannot connect to the weft daemon at ${this.host}: is the daemon running?`,
        code,
      );
    }
    return err;
  }

  /** Send a request, resolve once the response *headers* are in (body not consumed). */
  private send(method: string, path: string, opts: RequestOptions, upgrade = false):
    Promise<{ res: IncomingMessage; socket?: Duplex; head?: Buffer }> {
    const { payload, headers } = this.prepare(opts);
    if (upgrade) {
      headers.Connection = 'Upgrade';
      headers.Upgrade = 'tcp';
    }
    return new Promise((resolve, reject) => {
      let connected = false;
      const req = http.request(this.baseOptions(method, this.path(path, opts.query), headers));
      req.on('socket', (s) => s.once('connect', () => { connected = true; }));
      req.on('error', (err: NodeJS.ErrnoException) => reject(connected ? err : this.connectError(err)));
      req.on('response', (res) => resolve({ res }));
      req.on('upgrade', (res, socket, head) => resolve({ res, socket, head }));
      req.end(payload);
    });
  }

  /** Turn a non-success response into an ApiError, per the docker CLI's rules. */
  private async failure(path: string, res: IncomingMessage): Promise<ApiError> {
    const body = await readAll(res);
    const ep = this.endpoint;
    const authority = ep.kind === 'unix' ? encodeURIComponent(ep.socketPath) : `${ep.hostname}:${ep.port}`;
    const url = `http://${authority}${this.path(path)}`;
    return new ApiError(res.statusCode ?? 0, errorMessage(res.statusCode ?? 0, res.headers['content-type'], body, url));
  }

  /** Full request/response; throws ApiError on status >= 400. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    const { res } = await this.send(method, path, opts);
    const status = res.statusCode ?? 0;
    if (status >= 400) throw await this.failure(path, res);
    return { status, headers: res.headers, body: await readAll(res) };
  }

  /** Request and decode a JSON body (undefined for an empty body). */
  async json<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const r = await this.request(method, path, opts);
    const text = r.body.toString('utf8');
    if (text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new Error(`Error reading JSON: ${(err as Error).message}`);
    }
  }

  get<T = unknown>(path: string, query?: Record<string, QueryValue>): Promise<T> {
    return this.json<T>('GET', path, { query });
  }

  post<T = unknown>(path: string, body?: unknown, query?: Record<string, QueryValue>): Promise<T> {
    return this.json<T>('POST', path, { body, query });
  }

  delete<T = unknown>(path: string, query?: Record<string, QueryValue>): Promise<T> {
    return this.json<T>('DELETE', path, { query });
  }

  /**
   * Streaming request: resolves as soon as the headers arrive with a 2xx/3xx status,
   * the body is then read from `stream` (logs -f, wait before start).
   */
  async stream(method: string, path: string, opts: RequestOptions = {}): Promise<StreamResponse> {
    const { res } = await this.send(method, path, opts);
    const status = res.statusCode ?? 0;
    if (status >= 400) throw await this.failure(path, res);
    return {
      status,
      contentType: String(res.headers['content-type'] ?? ''),
      stream: res,
      close: () => res.destroy(),
    };
  }

  /**
   * A hijacked request (attach, exec start), sent with `Connection: Upgrade, Upgrade: tcp`
   * like the docker CLI. A `101` answer gives the raw socket (any bytes that arrived with
   * the headers are replayed first); a plain 2xx answer is accepted too and its body is
   * the stream.
   */
  async hijack(method: string, path: string, opts: RequestOptions = {}): Promise<StreamResponse> {
    const { res, socket, head } = await this.send(method, path, opts, true);
    const status = res.statusCode ?? 0;
    const contentType = String(res.headers['content-type'] ?? '');
    if (socket) {
      if (head && head.length > 0) socket.unshift(head);
      return { status, contentType, stream: socket, socket, close: () => socket.destroy() };
    }
    if (status >= 400) throw await this.failure(path, res);
    return { status, contentType, stream: res, close: () => res.destroy() };
  }
}

const STATUS_TEXT = http.STATUS_CODES;

/** The docker CLI's rendering of an error response body (client/request.go checkResponseErr). */
export function errorMessage(status: number, contentType: string | undefined, body: Buffer, url: string): string {
  const statusText = STATUS_TEXT[status] ?? '';
  if (body.length === 0) {
    return `request returned ${status} ${statusText} for API route and version ${url}, ` +
      'check if the server supports the requested API version';
  }
  if (contentType === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (err) {
      return `Error reading JSON: ${(err as Error).message}`;
    }
    const msg = parsed && typeof parsed === 'object' ? (parsed as { message?: unknown }).message : undefined;
    if (typeof msg === 'string' && msg !== '') return msg;
    return `API returned a ${status} (${statusText}) but provided no error-message`;
  }
  return body.toString('utf8').trim();
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}
