/** A minimal method + path-pattern router; `:name` segments become params. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  params: { [k: string]: string };
  query: URLSearchParams;
}

type Handler = (ctx: Ctx) => Promise<void> | void;

export class Router {
  private readonly routes: { method: string; re: RegExp; keys: string[]; handler: Handler }[] = [];

  on(method: string, pattern: string, handler: Handler): this {
    const keys: string[] = [];
    const re = new RegExp('^' + pattern.replace(/:(\w+)/g, (_m, k: string) => { keys.push(k); return '([^/]+)'; }) + '/?$');
    this.routes.push({ method, re, keys, handler });
    return this;
  }

  match(method: string, path: string): { handler: Handler; params: { [k: string]: string } } | 'method' | undefined {
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) continue;
      const params: { [k: string]: string } = {};
      r.keys.forEach((k, i) => { params[k] = decodeURIComponent(m[i + 1]); });
      return { handler: r.handler, params };
    }
    return pathMatched ? 'method' : undefined;
  }
}
