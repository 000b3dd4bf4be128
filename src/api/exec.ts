/** /exec: create a command in a running container, start it (plain or hijacked), inspect it. */
import type { ChildProcess } from 'node:child_process';
import type { Duplex } from 'node:stream';
import type { ExecInstance } from '../engine/exec.js';
import { Conflict } from '../util/errors.js';
import type { ApiDeps } from './deps.js';
import { DETACHED_MESSAGE, EscapeFilter, parseDetachKeys } from './detach-keys.js';
import { baseHeaders, parseJsonObject, readJson, sendEmpty, sendJson } from './http.js';
import type { Ctx, Route, UpgradeCtx } from './router.js';
import { decodeExecCreate, decodeExecStart } from './schemas/exec.js';
import { frame, MUX_CONTENT_TYPE, pipeChild, RAW_CONTENT_TYPE, sendUpgraded } from './streams.js';
import type { IdResponse } from './types.js';
import { execInspectJson } from './views/exec.js';

async function create(d: ApiDeps, { req, res, params }: Ctx): Promise<void> {
  const c = d.containers.find(params.id);
  const body = await readJson(req);
  if (c.status !== 'running') throw new Conflict(`container ${c.id} is not running`);
  const e = d.execs.create(c, decodeExecCreate(body));
  sendJson(res, 201, { Id: e.id } satisfies IdResponse);
}

/** Detached, or a client that reads the output from the response body. */
async function start(d: ApiDeps, { req, res, params }: Ctx): Promise<void> {
  const e = d.execs.find(params.id);
  const { detach, tty } = decodeExecStart(await readJson(req));
  const child = d.execs.start(e);
  child.stdin?.end();
  if (detach) {
    child.stdout?.resume();
    child.stderr?.resume();
    return sendEmpty(res, 200);
  }
  res.writeHead(200, { ...baseHeaders(), 'Content-Type': tty ? RAW_CONTENT_TYPE : MUX_CONTENT_TYPE });
  pipeChild(child, (b) => res.write(b), () => res.end(), tty);
}

/** The docker CLI's way: the connection becomes the exec's stdin and output. */
function startHijacked(d: ApiDeps, { req, socket, head, params }: UpgradeCtx): void | Promise<void> {
  const e = d.execs.find(params.id);
  // The start body comes first on the connection, most often with the headers; what follows
  // it is already stdin.
  const len = Number(req.headers['content-length'] ?? 0);
  if (head.length >= len) return beginHijacked(d, e, socket, head, len);
  return readAtLeast(socket, head, len).then((all) => beginHijacked(d, e, socket, all, len));
}

function beginHijacked(d: ApiDeps, e: ExecInstance, socket: Duplex, head: Buffer, len: number): void {
  const { tty } = decodeExecStart(parseJsonObject(head.subarray(0, len).toString('utf8')));
  d.execs.checkStartable(e);
  // dockerd's order: the 101 is out before the process starts, so a client that reads the 101
  // through a buffered reader before taking the raw socket (docker-py) loses no output.
  sendUpgraded(socket, () => runHijacked(d, e, socket, head.subarray(len), tty), tty ? RAW_CONTENT_TYPE : MUX_CONTENT_TYPE);
}

/** The bytes a socket has sent after `head` until there are `len` in all; the socket is left paused. */
function readAtLeast(socket: Duplex, head: Buffer, len: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = head;
    const onData = (b: Buffer) => {
      got = Buffer.concat([got, b]);
      if (got.length < len) return;
      settle();
      resolve(got);
    };
    const onEnd = () => {
      settle();
      reject(new Error('the exec start body ended early'));
    };
    const settle = () => {
      socket.pause();
      socket.off('data', onData).off('end', onEnd).off('close', onEnd);
    };
    socket.on('data', onData).once('end', onEnd).once('close', onEnd);
  });
}

function runHijacked(d: ApiDeps, e: ExecInstance, socket: Duplex, stdin: Buffer, tty: boolean): void {
  let child: ChildProcess;
  try {
    child = d.execs.start(e);
  } catch (err) {
    socket.end(frame(2, Buffer.from(`${err instanceof Error ? err.message : String(err)}\n`)));
    return;
  }
  if (e.attachStdin && child.stdin) {
    if (stdin.length) child.stdin.write(stdin);
    (e.tty ? detachable(socket, e.detachKeys) : socket).pipe(child.stdin);
  } else {
    child.stdin?.end();
  }
  pipeChild(child, (b) => { if (!socket.writableEnded) socket.write(b); }, () => socket.end(), tty);
}

/** A terminal's input up to the detach keys; then the client is told and let go, the process runs on. */
function detachable(socket: Duplex, keys: string): EscapeFilter {
  const filter: EscapeFilter = new EscapeFilter(parseDetachKeys(keys), () => {
    socket.unpipe(filter);
    socket.resume();
    socket.end(DETACHED_MESSAGE);
  });
  return socket.pipe(filter);
}

export function execRoutes(d: ApiDeps): Route[] {
  return [
    { method: 'POST', path: '/containers/:id/exec', handler: (ctx) => create(d, ctx) },
    { method: 'POST', path: '/exec/:id/start', handler: (ctx) => start(d, ctx) },
    { method: 'POST', path: '/exec/:id/start', upgrade: true, handler: (ctx) => startHijacked(d, ctx) },
    { method: 'GET', path: '/exec/:id/json', handler: ({ res, params }) => sendJson(res, 200, execInspectJson(d.execs.find(params.id))) },
    { method: 'POST', path: '/exec/:id/resize', handler: ({ res }) => sendEmpty(res, 200) },
  ];
}
