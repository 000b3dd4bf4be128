/**
 * Method + path-pattern routing; `:name` segments (`:name*`: one or more) become params. A route with `upgrade`
 * serves hijacked connections (HTTP Upgrade: the client and the daemon then speak a raw
 * stream on the socket); it only matches upgrade requests, and other routes only plain ones.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { InvalidArgument } from '../util/errors.js';

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  params: { [k: string]: string };
  query: URLSearchParams;
}

/** A hijacked request: the raw socket and what the HTTP parser read past the headers. */
export interface UpgradeCtx {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  params: { [k: string]: string };
  query: URLSearchParams;
}

export type Route =
  | { method: string; path: string; upgrade?: false; handler: (ctx: Ctx) => Promise<void> | void }
  | { method: string; path: string; upgrade: true; handler: (ctx: UpgradeCtx) => Promise<void> | void };

/** A path segment's percent-encoding decoded; a malformed one is the client's error. */
function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new InvalidArgument(`invalid URL path segment ${JSON.stringify(s)}: malformed percent-encoding`);
  }
}

interface Compiled { route: Route; re: RegExp; keys: string[] }

export type Match<R extends Route> = { route: R; params: { [k: string]: string } };

export class Router {
  private readonly routes: Compiled[];

  constructor(routes: Route[]) {
    this.routes = routes.map((route) => {
      const keys: string[] = [];
      // `:name*` takes slashes too: an image name such as "org/app".
      const pattern = route.path.replace(/:(\w+)(\*?)/g, (_m, k: string, all: string) => {
        keys.push(k);
        return all ? '(.+)' : '([^/]+)';
      });
      return { route, re: new RegExp(`^${pattern}/?$`), keys };
    });
  }

  /** The plain route for a request; 'method' when only the method is wrong. */
  match(method: string, path: string): Match<Extract<Route, { upgrade?: false }>> | 'method' | undefined {
    const hit = this.find(method, path, false);
    return hit as Match<Extract<Route, { upgrade?: false }>> | 'method' | undefined;
  }

  /** The upgrade route for a hijack request, if there is one. */
  matchUpgrade(method: string, path: string): Match<Extract<Route, { upgrade: true }>> | undefined {
    const hit = this.find(method, path, true);
    return hit === 'method' ? undefined : (hit as Match<Extract<Route, { upgrade: true }>> | undefined);
  }

  private find(method: string, path: string, upgrade: boolean): Match<Route> | 'method' | undefined {
    let pathMatched = false;
    for (const { route, re, keys } of this.routes) {
      if (!!route.upgrade !== upgrade) continue;
      const m = re.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) continue;
      const params: { [k: string]: string } = {};
      keys.forEach((k, i) => { params[k] = decodeSegment(m[i + 1]); });
      return { route, params };
    }
    return pathMatched ? 'method' : undefined;
  }
}
