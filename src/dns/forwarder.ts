/**
 * Forwarding to upstream resolvers: tried in order, each with its own timeout, over the
 * transport the asker used, under a fresh random id; the upstream's bytes are relayed with
 * the asker's id. Malformed upstream entries are skipped (logged at warn once per distinct
 * string), and so are upstreams equal to one of the server's own listen addresses (loops).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { comparableIp } from './addresses.js';
import { joinHostPort } from '../util/ip.js';
import { FrameReader, frame } from './framing.js';
import { RCODE_REFUSED, RCODE_SERVFAIL, isResponseTo, rcodeOf, withId, type Query, type Transport } from './message.js';
import { parseUpstream, type Upstream } from './upstreams.js';
import { dnsForwardSeconds, dnsUpstreamFailures } from '../metrics/registry.js';
import { rcodeName } from './metrics.js';

/** Forwarded queries outstanding at once, server-wide; beyond that: SERVFAIL. */
const MAX_FORWARDS = 1024;

export interface ForwarderOptions {
  logger: Logger;
  /** Upstream addresses (see upstreams.ts), read per forwarded query. */
  upstreams: () => string[];
  /** Time to wait for each upstream before trying the next. */
  timeoutMs: number;
  /** The server's own listen addresses, never used as upstreams. */
  ownAddresses: () => Iterable<{ ip: string; port: number }>;
}

export interface Relayed { resp: Buffer; upstream: string }

export class Forwarder {
  private readonly sockets = new Set<dgram.Socket | net.Socket>();
  private readonly badUpstreams = new Set<string>();
  private inFlight = 0;

  constructor(private readonly o: ForwarderOptions) {}

  /**
   * The first usable upstream answer to msg, or undefined (none answered, or `abandoned()` became true).
   * upstreams: the asker's own resolvers (a container's Dns), instead of the server's.
   */
  async forward(q: Query, msg: Buffer, transport: Transport, abandoned: () => boolean, upstreams?: string[]): Promise<Relayed | undefined> {
    const ups = this.resolveUpstreams(upstreams);
    if (ups.length === 0 || this.inFlight >= MAX_FORWARDS) return undefined;
    this.inFlight++;
    try {
      let fallback: Relayed | undefined;
      for (const u of ups) {
        if (abandoned()) return undefined;
        const upId = randomInt(0, 0x10000);
        const out = withId(msg, upId);
        let resp: Buffer;
        const timer = dnsForwardSeconds.startTimer();
        try {
          resp = transport === 'udp' ? await this.exchangeUdp(u, out, upId) : await this.exchangeTcp(u, out, upId);
          timer({ outcome: 'answer' });
        } catch (err) {
          timer({ outcome: 'failure' });
          dnsUpstreamFailures.inc({ reason: (err as Error).message === 'timeout' ? 'timeout' : 'error' });
          const upstream = joinHostPort(u.host, u.port);
          this.o.logger.debug({ err: (err as Error).message, upstream, name: q.name }, 'dns: upstream failed');
          continue;
        }
        const r = { resp: withId(resp, q.id), upstream: joinHostPort(u.host, u.port) };
        // Like Docker: SERVFAIL/REFUSED from one upstream -> try the next one.
        const rcode = rcodeOf(r.resp);
        if (rcode === RCODE_SERVFAIL || rcode === RCODE_REFUSED) {
          dnsUpstreamFailures.inc({ reason: rcodeName(rcode) });
          fallback ??= r;
          continue;
        }
        return r;
      }
      return fallback;
    } finally {
      this.inFlight--;
    }
  }

  /** Abort every exchange in progress. */
  close(): void {
    for (const s of this.sockets) destroySocket(s);
    this.sockets.clear();
  }

  private resolveUpstreams(asker?: string[]): Upstream[] {
    let list: string[];
    try {
      list = asker?.length ? asker : this.o.upstreams();
    } catch (err) {
      this.o.logger.warn({ err }, 'dns: upstreams() failed');
      return [];
    }
    if (!Array.isArray(list)) return [];
    const own = new Set<string>();
    for (const a of this.o.ownAddresses()) own.add(`${comparableIp(a.ip)}|${a.port}`);
    const out: Upstream[] = [];
    for (const s of list) {
      const u = typeof s === 'string' ? parseUpstream(s) : undefined;
      if (!u) {
        const k = String(s);
        if (!this.badUpstreams.has(k)) {
          this.badUpstreams.add(k);
          this.o.logger.warn({ upstream: k }, 'dns: ignoring malformed upstream address');
        }
        continue;
      }
      if (own.has(`${comparableIp(u.host)}|${u.port}`)) continue;
      out.push(u);
    }
    return out;
  }

  /** Run one exchange on sock: settle once, on the answer, an error or the timeout, and always destroy the socket. */
  private exchange<S extends dgram.Socket | net.Socket>(
    sock: S,
    run: (sock: S, finish: (err: Error | undefined, resp?: Buffer) => void, settled: () => boolean) => void,
  ): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      this.sockets.add(sock);
      let done = false;
      const finish = (err: Error | undefined, resp?: Buffer): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.sockets.delete(sock);
        destroySocket(sock);
        if (err) reject(err);
        else resolve(resp!);
      };
      const timer = setTimeout(() => finish(new Error('timeout')), this.o.timeoutMs);
      try {
        run(sock, finish, () => done);
      } catch (err) {
        finish(err as Error);
      }
    });
  }

  private exchangeUdp(u: Upstream, query: Buffer, upId: number): Promise<Buffer> {
    return this.exchange(dgram.createSocket(u.family === 6 ? 'udp6' : 'udp4'), (sock, finish, settled) => {
      sock.on('error', (err) => finish(err));
      sock.on('close', () => finish(new Error('closed')));
      // Connected socket: only the upstream's datagrams arrive. Match id and QR.
      sock.on('message', (resp) => {
        if (isResponseTo(resp, upId)) finish(undefined, resp);
      });
      // A failed connect (no route to the upstream) comes to this callback as its argument.
      sock.connect(u.port, u.host, (err?: Error) => {
        if (settled()) return; // timed out or failed while connecting: the socket is closed
        if (err) return finish(err);
        sock.send(query, (sendErr) => { if (sendErr) finish(sendErr); });
      });
    });
  }

  private exchangeTcp(u: Upstream, query: Buffer, upId: number): Promise<Buffer> {
    return this.exchange(net.connect({ host: u.host, port: u.port }), (sock, finish) => {
      const frames = new FrameReader();
      sock.setNoDelay(true);
      sock.on('error', (err) => finish(err));
      sock.on('close', () => finish(new Error('connection closed')));
      sock.on('connect', () => sock.write(frame(query)));
      sock.on('data', (chunk: Buffer) => {
        frames.push(chunk);
        for (let resp = frames.next(); resp; resp = frames.next()) {
          if (isResponseTo(resp, upId)) return finish(undefined, resp);
        }
      });
    });
  }
}

function destroySocket(s: dgram.Socket | net.Socket): void {
  if (s instanceof net.Socket) {
    s.destroy();
    return;
  }
  try {
    s.close();
  } catch {
    // already closed
  }
}
