/**
 * A client of one v1 plugin: JSON POSTs with Docker's plugin content type, a timeout per
 * call, and activation (`Plugin.Activate`) on first use, as dockerd does it lazily. A
 * call that cannot reach the plugin drops the activation, so the next call finds the
 * plugin again (it may have come back on another socket or spec) and activates it anew.
 *
 * Errors, in dockerd's words where it has them: a reply whose JSON carries a non-empty
 * "Err" fails as "remote: <Err>" (libnetwork's remote drivers); another non-2xx status as
 * "<Method>: <Err or body>" (pkg/plugins); a 404 to an optional method means "not implemented".
 */
import http from 'node:http';
import type { CallOptions, PluginEndpoint } from '../contracts/plugins.js';
import { WeftError } from '../util/errors.js';
import type { PluginAddress } from './discovery.js';
import type { PendingCalls } from './pending.js';

export const PLUGIN_CONTENT_TYPE = 'application/vnd.docker.plugins.v1.2+json';
/** Replies larger than this are refused: a plugin answers with a few small JSON objects. */
const MAX_REPLY = 1 << 20;

/** 500: the plugin answered with an error, or could not be reached. */
export class PluginError extends WeftError {
  constructor(message: string, readonly unreachable = false) { super(message, 500); }
}

interface Reply { status: number; text: string }

export class PluginClient implements PluginEndpoint {
  private activation?: Promise<string[]>;

  /**
   * `locate` finds the plugin's address again at each activation (undefined: it is gone);
   * `pending` keeps the clean-up calls it missed.
   */
  constructor(
    readonly name: string,
    private readonly locate: () => PluginAddress | undefined,
    private readonly timeoutMs: number,
    private readonly pending?: PendingCalls,
  ) {}

  /** What the plugin implements ("NetworkDriver", "IpamDriver", …), activating it first if needed. */
  implements(): Promise<string[]> {
    this.activation ??= this.activate().catch((err) => {
      this.activation = undefined;
      throw err;
    });
    return this.activation;
  }

  async call<T>(method: string, body: unknown, opts: CallOptions = {}): Promise<T | undefined> {
    try {
      await this.implements();
      return await this.post<T>(method, body, opts);
    } catch (err) {
      if (opts.cleanup && this.pending && isUnreachable(err)) await this.pending.add({ plugin: this.name, method, body });
      throw err;
    }
  }

  /** Activation: what the plugin implements, then the clean-up calls it missed while it was gone. */
  private async activate(): Promise<string[]> {
    const reply = await this.post<{ Implements?: unknown }>('Plugin.Activate', {}, {});
    await this.pending?.replay(this.name, async (c) => { await this.post(c.method, c.body, { optional: true }); }, isUnreachable);
    const impl = reply?.Implements;
    if (!Array.isArray(impl) || !impl.every((x) => typeof x === 'string')) {
      throw new PluginError(`plugin "${this.name}": Plugin.Activate answered without an "Implements" list`);
    }
    return impl;
  }

  private async post<T>(method: string, body: unknown, opts: CallOptions): Promise<T | undefined> {
    const addr = this.locate();
    if (!addr) {
      this.activation = undefined;
      throw new PluginError(`plugin "${this.name}" not found`, true);
    }
    let reply: Reply;
    try {
      reply = await this.send(addr, method, JSON.stringify(body ?? {}));
    } catch (err) {
      this.activation = undefined;
      throw new PluginError(`plugin "${this.name}" is not reachable: ${method}: ${(err as Error).message}`, true);
    }
    if (reply.status === 404 && opts.optional) return undefined;
    const parsed = parseJson(reply.text);
    const remoteErr = parsed && typeof parsed.Err === 'string' ? parsed.Err : '';
    if (reply.status < 200 || reply.status > 299) {
      throw new PluginError(`${method}: ${remoteErr || reply.text.trim() || `HTTP ${reply.status}`}`);
    }
    if (remoteErr) throw new PluginError(`remote: ${remoteErr}`);
    if (parsed === undefined && reply.text.trim()) throw new PluginError(`plugin "${this.name}": ${method} answered with invalid JSON`);
    return (parsed ?? {}) as T;
  }

  private send(addr: PluginAddress, method: string, data: string): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = http.request({
        ...('socketPath' in addr ? { socketPath: addr.socketPath } : { host: addr.host, port: addr.port }),
        method: 'POST',
        path: `/${method}`,
        agent: false,
        headers: { 'Content-Type': PLUGIN_CONTENT_TYPE, Accept: PLUGIN_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(data) },
      }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          size += d.length;
          if (size > MAX_REPLY) req.destroy(new Error(`reply larger than ${MAX_REPLY} bytes`));
          else chunks.push(d);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs / 1000}s`)));
      req.on('error', reject);
      req.end(data);
    });
  }
}

function isUnreachable(err: unknown): boolean {
  return err instanceof PluginError && err.unreachable;
}

function parseJson(text: string): { [k: string]: unknown } | undefined {
  if (!text.trim()) return undefined;
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
