/** The streaming container endpoints: wait, logs and attach (a hijacked connection). */
import type { ContainerRecord } from '../engine/containers.js';
import { followLogs, type LogSink } from '../engine/logs.js';
import { InvalidArgument } from '../util/errors.js';
import { attachStdin } from './attach-stdin.js';
import type { ApiDeps } from './deps.js';
import { baseHeaders, qbool } from './http.js';
import type { Ctx, Route, UpgradeCtx } from './router.js';
import { frame, MUX_CONTENT_TYPE, RAW_CONTENT_TYPE, sendUpgraded } from './streams.js';
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
  res.writeHead(200, { ...baseHeaders(), 'Content-Type': c.tty ? RAW_CONTENT_TYPE : MUX_CONTENT_TYPE });
  followLogs(d.containers, c, { stdout, stderr, tail: n, follow: qbool(query.get('follow')) }, sinkFor(c)(res, req));
}

/** A terminal's output: one unframed stream, as dockerd sends it for Tty containers. */
function rawSink(out: { write(b: Buffer): unknown; end(): unknown }, closer: { on(ev: 'close', f: () => void): unknown }): LogSink {
  return { write: (_stream, data) => { out.write(data); }, end: () => { out.end(); }, onClose: (f) => { closer.on('close', f); } };
}

const sinkFor = (c: ContainerRecord) => (c.tty ? rawSink : muxSink);

/**
 * The hijacked attach: output (the logs so far with logs=1, then, with stream=1, what comes
 * until the exit) and, with stdin=1 on an OpenStdin container, input to the main process.
 */
function attach(d: ApiDeps, { socket, head, params, query: q }: UpgradeCtx): void {
  const c = d.containers.find(params.id);
  sendUpgraded(socket, undefined, c.tty ? RAW_CONTENT_TYPE : MUX_CONTENT_TYPE);
  d.events.log(c, 'attach');
  const stream = qbool(q.get('stream'));
  const o = {
    // As dockerd: only the streams asked for (dockerpty attaches one socket per stream).
    stdout: qbool(q.get('stdout')),
    stderr: qbool(q.get('stderr')),
    tail: qbool(q.get('logs')) ? -1 : 0,
    follow: stream,
    untilExit: true,
  };
  // Output is followed from here before any input is written: a fast process's echo of the
  // input must not land in the "existing" output that a stream without logs=1 skips.
  followLogs(d.containers, c, o, sinkFor(c)(socket, socket));
  if (stream && qbool(q.get('stdin')) && c.openStdin) attachStdin(d.containers, c, socket, head);
}

export function containerStreamRoutes(d: ApiDeps): Route[] {
  return [
    { method: 'POST', path: '/containers/:id/wait', handler: (ctx) => wait(d, ctx) },
    { method: 'GET', path: '/containers/:id/logs', handler: (ctx) => logs(d, ctx) },
    { method: 'POST', path: '/containers/:id/attach', upgrade: true, handler: (ctx) => attach(d, ctx) },
  ];
}
