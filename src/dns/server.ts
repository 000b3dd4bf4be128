// Embedded DNS server (aardvark-dns / Docker embedded resolver analogue).
//
// The daemon owns one DnsServer with one listener (UDP + TCP) per key it is given: service
// discovery keys them by sandbox and passes sockets it created on 127.0.0.11 inside each
// container's namespace. A query is identified by the listener it arrived on (the asker)
// and answered from the lookup callback the controller provides (resolver.ts). Names weft
// does not know are forwarded to the upstream resolvers (never for internal networks),
// relaying the upstream's bytes (forwarder.ts).

import net from 'node:net';
import type { Logger } from 'pino';
import { comparableIp } from './addresses.js';
import { joinHostPort } from '../util/ip.js';
import { Forwarder } from './forwarder.js';
import { observeQuery } from './metrics.js';
import { ListenerSockets, type Listener } from './listener.js';
import { RCODE_SERVFAIL, encodeResponse, parseQuery, type Transport } from './message.js';
import { decide, type Decision, type Lookup } from './resolver.js';

export interface DnsServerOptions {
  logger: Logger;
  lookup: Lookup;
  /** Upstream resolvers, tried in order: "ip", "ip:port" (IPv4), "[v6]:port", or "ip#port". Default port 53. Called per forwarded query. */
  upstreams: () => string[];
  /** TTL of local answers, seconds. Default 0 (answers change as soon as containers come and go). */
  ttl?: number;
  /** Time to wait for each upstream before trying the next. Default 2000 ms. */
  forwardTimeoutMs?: number;
  /**
   * Several addresses for a name in a new random order per query, as libnetwork answers (so
   * clients spread over a scaled service's replicas). Default true; false keeps the lookup's order.
   */
  shuffle?: boolean;
}

export interface DnsStats { local: number; forwarded: number; malformed: number; servfail: number }

export class DnsServer {
  private readonly logger: Logger;
  private readonly lookup: Lookup;
  private readonly ttl: number;
  private readonly shuffle: boolean;
  private readonly listeners = new Map<string, Listener>();
  private readonly sockets: ListenerSockets;
  private readonly forwarder: Forwarder;
  private counters: DnsStats = { local: 0, forwarded: 0, malformed: 0, servfail: 0 };
  private closed = false;

  constructor(o: DnsServerOptions) {
    this.logger = o.logger;
    this.lookup = o.lookup;
    this.ttl = Math.max(0, Math.min(0x7fffffff, Math.floor(o.ttl ?? 0)));
    this.shuffle = o.shuffle ?? true;
    this.sockets = new ListenerSockets(o.logger, (l, msg, source, transport) =>
      observeQuery(transport, this.handle(l, msg, source, transport)));
    this.forwarder = new Forwarder({
      logger: o.logger, upstreams: o.upstreams, timeoutMs: o.forwardTimeoutMs ?? 2000, ownAddresses: () => this.listeners.values(),
    });
  }

  /**
   * Start answering on ip:port (port default 53) for network networkId; internal networks never forward (SERVFAIL
   * for unknown names). Idempotent per (networkId, ip). Resolves when bound (UDP and TCP).
   */
  async listen(
    networkId: string,
    ip: string,
    opts?: { internal?: boolean; port?: number; fds?: { udp: number; tcp: number }; upstreams?: string[] },
  ): Promise<void> {
    if (this.closed) throw new Error('dns server is closed');
    const family = net.isIP(ip);
    if (family === 0) throw new Error(`dns: invalid listen address ${JSON.stringify(ip)}`);
    const key = `${networkId}|${comparableIp(ip)}`;
    const existing = this.listeners.get(key);
    if (existing) {
      if (opts?.internal !== undefined) existing.internal = opts.internal;
      if (opts?.upstreams !== undefined) existing.upstreams = opts.upstreams;
      return existing.ready;
    }
    const port = opts?.port ?? 53;
    // Listeners on sockets made elsewhere (fds, e.g. inside a sandbox namespace) share
    // their address with every other sandbox's.
    for (const other of opts?.fds ? [] : this.listeners.values()) {
      if (!other.fds && comparableIp(other.ip) === comparableIp(ip) && (other.port === port || port === 0)) {
        throw new Error(`dns: ${joinHostPort(ip, port)} is already served for network ${other.networkId}`);
      }
    }
    const l: Listener = {
      networkId, ip, port, internal: opts?.internal ?? false, ...(opts?.fds ? { fds: opts.fds } : {}),
      ...(opts?.upstreams ? { upstreams: opts.upstreams } : {}),
      conns: new Set(), closed: false, ready: Promise.resolve(),
    };
    l.ready = this.sockets.open(l, family === 6 ? 'udp6' : 'udp4').catch((err: unknown) => {
      if (this.listeners.get(key) === l) this.listeners.delete(key);
      this.logger.warn({ err, network: networkId, address: joinHostPort(ip, port) }, 'dns: cannot listen');
      throw err;
    });
    this.listeners.set(key, l);
    return l.ready;
  }

  /** Stop listening for that network (all its addresses). */
  async unlisten(networkId: string): Promise<void> {
    const mine: Listener[] = [];
    for (const [key, l] of this.listeners) {
      if (l.networkId === networkId) {
        this.listeners.delete(key);
        mine.push(l);
      }
    }
    await Promise.all(mine.map((l) => this.sockets.close(l)));
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.listeners.values()];
    this.listeners.clear();
    this.forwarder.close();
    await Promise.all(all.map((l) => this.sockets.close(l)));
  }

  /** Counters for tests/bench: queries answered locally, forwarded, dropped malformed. */
  stats(): DnsStats {
    return { ...this.counters };
  }

  /** Answer one query; null: drop it (malformed). Never throws. */
  private async handle(l: Listener, msg: Buffer, source: string, transport: Transport): Promise<Buffer | null> {
    const q = parseQuery(msg);
    if (!q) {
      this.counters.malformed++;
      return null;
    }
    const debug = this.logger.isLevelEnabled('debug');
    const about = { network: l.networkId, source, name: q.name, type: q.qtype, transport };
    let decision: Decision;
    try {
      decision = decide(this.lookup, this.ttl, { networkId: l.networkId, source, internal: l.internal }, q, this.shuffle);
    } catch (err) {
      this.logger.warn({ err, network: l.networkId, name: q.name, type: q.qtype }, 'dns: lookup failed');
      this.counters.servfail++;
      return encodeResponse(q, RCODE_SERVFAIL, false, [], transport);
    }
    if (decision.kind === 'local') {
      this.counters.local++;
      if (debug) this.logger.debug({ ...about, answers: decision.records.length, result: decision.note }, 'dns: query answered');
      return encodeResponse(q, decision.rcode, true, decision.records, transport);
    }
    const relayed = await this.forwarder.forward(q, msg, transport, () => l.closed || this.closed, l.upstreams);
    if (relayed) {
      this.counters.forwarded++;
      if (debug) this.logger.debug({ ...about, upstream: relayed.upstream }, 'dns: query forwarded');
      return relayed.resp;
    }
    this.counters.servfail++;
    if (debug) this.logger.debug(about, 'dns: no upstream answered');
    return encodeResponse(q, RCODE_SERVFAIL, false, [], transport);
  }
}
