/**
 * The HTTP server on the unix socket: strips the optional /v1.NN prefix (refusing
 * versions outside what we speak, as dockerd does), routes, and turns thrown errors into
 * Docker's `{"message"}` bodies with the right status. Upgrade requests go to the
 * router's upgrade routes; one without such a route is served as a plain request.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type pino from 'pino';
import { InvalidArgument, NotFound } from '../util/errors.js';
import { requestIdFrom, withRequest } from '../util/request-context.js';
import { API_VERSION, MIN_API_VERSION, sendError, sendJson } from './http.js';
import { cmpVersion } from './api-version.js';
import type { Router } from './router.js';
import { plainHijack } from './plain-hijack.js';
import { failUpgrade } from './streams.js';

/** "/v1.44/networks?x" → "/networks?x"; throws 400 for unsupported versions. */
export function stripVersion(url: string): string {
  const m = /^\/v(\d+\.\d+)(\/.*)?$/.exec(url.split('?')[0]);
  if (!m) return url;
  const v = m[1];
  if (cmpVersion(v, MIN_API_VERSION) < 0) {
    throw new InvalidArgument(`client version ${v} is too old. Minimum supported API version is ${MIN_API_VERSION}, ` +
      'please upgrade your client to a newer version');
  }
  if (cmpVersion(v, API_VERSION) > 0) {
    throw new InvalidArgument(`client version ${v} is too new. Maximum supported API version is ${API_VERSION}`);
  }
  return url.slice(m[1].length + 2) || '/';
}

/** The request header that names an API call in the logs, kept when the client sends one and returned. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

export function createApiServer(router: Router, logger: pino.Logger): http.Server {
  const server = http.createServer((req, res) => {
    const reqId = requestIdFrom(req.headers[REQUEST_ID_HEADER.toLowerCase()]);
    res.setHeader(REQUEST_ID_HEADER, reqId);
    withRequest({ reqId }, () => serve(router, logger, req, res));
  });
  server.on('upgrade', (req, socket, head) => {
    withRequest({ reqId: requestIdFrom(req.headers[REQUEST_ID_HEADER.toLowerCase()]) }, () => {
      upgrade(server, router, logger, req, socket, head);
    });
  });
  server.keepAliveTimeout = 60_000;
  return server;
}

async function serve(router: Router, logger: pino.Logger, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const started = performance.now();
  try {
    const u = new URL(stripVersion(req.url ?? '/'), 'http://weft');
    const hit = router.match(req.method ?? 'GET', u.pathname);
    // A hijack route of this method beats a 405 from a plain route of the same shape.
    const hijack = hit === undefined || hit === 'method' ? router.matchUpgrade(req.method ?? 'GET', u.pathname) : undefined;
    if (hijack) {
      const socket = plainHijack(req.socket);
      await hijack.route.handler({ req, socket, head: Buffer.alloc(0), params: hijack.params, query: u.searchParams });
      return;
    }
    if (hit === undefined) throw new NotFound(`page not found`);
    if (hit === 'method') {
      sendJson(res, 405, { message: `method ${req.method} not allowed` });
      return;
    }
    await hit.route.handler({ req, res, params: hit.params, query: u.searchParams });
  } catch (err) {
    const status = (err as { status?: number }).status ?? 500;
    if (status >= 500) logger.error({ err, url: req.url }, 'request failed');
    sendError(res, err);
  } finally {
    const ms = +(performance.now() - started).toFixed(2);
    logger.debug({ method: req.method, url: req.url, status: res.statusCode, ms }, 'request');
  }
}

function upgrade(
  server: http.Server, router: Router, logger: pino.Logger, req: http.IncomingMessage, socket: Duplex, head: Buffer,
): void {
  // A client that drops a hijacked stream (EPIPE, ECONNRESET) ends that stream only.
  socket.on('error', (err) => logger.debug({ err: err.message, url: req.url }, 'hijacked connection closed'));
  let url: string;
  try {
    url = stripVersion(req.url ?? '/');
  } catch (err) {
    const body = `${JSON.stringify({ message: (err as Error).message })}\n`;
    socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    return;
  }
  const u = new URL(url, 'http://weft');
  try {
    const hit = router.matchUpgrade(req.method ?? 'GET', u.pathname);
    if (hit) {
      const done = hit.route.handler({ req, socket, head, params: hit.params, query: u.searchParams });
      // Failing after the 101 cannot become an HTTP error any more: end the stream.
      Promise.resolve(done).catch((err) => {
        logger.warn({ err, url: req.url }, 'hijacked stream failed');
        socket.destroy();
      });
      return;
    }
  } catch (err) {
    failUpgrade(socket, err);
    return;
  }
  const res = new http.ServerResponse(req);
  res.assignSocket(socket as never);
  server.emit('request', req, res);
}

/** Listen on a unix socket path (stale socket removed first), mode 0660. */
export async function listenUnix(server: http.Server, socketPath: string): Promise<void> {
  fs.rmSync(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  fs.chmodSync(socketPath, 0o660);
}

/** Stop accepting, drop open connections (idle keep-alives too), resolve once closed. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
