/** The streaming container endpoints: wait, logs and attach (a hijacked connection). */
import { followLogs, type LogSink } from '../engine/logs.js';
import { InvalidArgument } from '../util/errors.js';
import type { ApiDeps } from './deps.js';
import { baseHeaders, qbool } from './http.js';
import type { Ctx, Route, UpgradeCtx } from './router.js';
import { frame, MUX_CONTENT_TYPE, sendUpgraded } from './streams.js';
import type { WaitResponse } from './types.js';

const WAIT_CONDITIONS = ['not-running', 'next-exit', 'removed'];

async function wait(d: ApiDeps, { req, res, params, query }: Ctx): Promise<void> {
  const c = d.containers.find(params.id);
  const cond = query.get('condition') || 'not-running';
  if (!WAIT_CONDITIONS.includes(cond)) throw new InvalidArgument(`invalid condition: "${cond}"`);
  // Headers go out at once: the docker CLI waits for them before it sends start.
  res.writeHead(200, { ...baseHeaders(), 'Content-Type': 'application/json' });
  res.flushHeaders();
  let closed = false;
  req.on('close', () => { closed = true; });
  const code = cond === 'removed' ? await d.containers.waitRemovedCode(c.id)
    : cond === 'next-exit' ? await d.containers.waitNextExit(c.id)
    : await d.containers.waitExit(c.id);
  if (!closed) res.end(`${JSON.stringify({ StatusCode: code, Error: null } satisfies WaitResponse)}\n`);
}

/** Frames log output onto a response or a hijacked socket. */
function muxSink(out: { write(b: Buffer): unknown; end(): unknown }, closer: { on(ev: 'close', f: () => void): unknown }): LogSink {
  return {
    write: (stream, data) => { out.write(frame(stream, data)); },
    end: () => { out.end(); },
    onClose: (f) => { closer.on('close', f); },
  };
}

function logs(d: ApiDeps, { req, res, params, query }: Ctx): void {
  const c = d.containers.find(params.id);
  const stdout = qbool(query.get('stdout'));
  const stderr = qbool(query.get('stderr'));
  if (!stdout && !stderr) throw new InvalidArgument('Bad parameters: you must choose at least one stream');
  const tail = query.get('tail');
  const n = !tail || tail === 'all' ? -1 : Number(tail);
  if (Number.isNaN(n)) throw new InvalidArgument(`invalid tail value "${tail}"`);
  // The runtime writes the process's output to plain files, without per-line times.
  if (qbool(query.get('timestamps'))) throw new InvalidArgument('weft does not record log timestamps: --timestamps is not supported');
  for (const k of ['since', 'until']) {
    const v = query.get(k);
    if (v && Number(v) !== 0) throw new InvalidArgument(`weft does not record log timestamps: --${k} is not supported`);
  }
  res.writeHead(200, { ...baseHeaders(), 'Content-Type': MUX_CONTENT_TYPE });
  followLogs(d.containers, c, { stdout, stderr, tail: n, follow: qbool(query.get('follow')) }, muxSink(res, req));
}

/** Output only: weft gives a container's main process no stdin to attach to. */
function attach(d: ApiDeps, { socket, params, query: q }: UpgradeCtx): void {
  const c = d.containers.find(params.id);
  sendUpgraded(socket);
  if (!qbool(q.get('stream'))) {
    socket.end();
    return;
  }
  const o = {
    stdout: qbool(q.get('stdout')) || !q.has('stdout'),
    stderr: qbool(q.get('stderr')) || !q.has('stderr'),
    tail: qbool(q.get('logs')) ? -1 : 0,
    follow: true,
    untilExit: true,
  };
  followLogs(d.containers, c, o, muxSink(socket, socket));
}

export function containerStreamRoutes(d: ApiDeps): Route[] {
  return [
    { method: 'POST', path: '/containers/:id/wait', handler: (ctx) => wait(d, ctx) },
    { method: 'GET', path: '/containers/:id/logs', handler: (ctx) => logs(d, ctx) },
    { method: 'POST', path: '/containers/:id/attach', upgrade: true, handler: (ctx) => attach(d, ctx) },
  ];
}
