// Embedded DNS server (aardvark-dns / Docker embedded resolver analogue).
//
// The daemon owns one DnsServer with one listener (UDP + TCP) per key it is given: service
// discovery (discovery.ts) keys them by sandbox and passes sockets it created on
// 127.0.0.11 inside each container's namespace. A query is identified by the listener it
// arrived on (the asker) and answered from the lookup callback the controller provides.
// Names weft does not know are forwarded to the upstream resolvers (never for internal
// networks), relaying the upstream's bytes.
//
// Upstream address format (DnsServerOptions.upstreams): one resolver per string,
//   "10.0.0.1"            IPv4, port 53
//   "10.0.0.1:5353"       IPv4 with port
//   "10.0.0.1#5353"       IPv4 with port (dnsmasq/unbound style)
//   "2001:db8::1"         IPv6, port 53
//   "[2001:db8::1]:5353"  IPv6 with port
//   "2001:db8::1#5353"    IPv6 with port
// Malformed entries are skipped (logged at warn once per distinct string). Upstreams equal
// to one of the server's own listen addresses (same IP and port) are skipped, to avoid loops.

import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import dnsPacket from 'dns-packet';

export type QueryType = 'A' | 'AAAA' | 'PTR';
export interface LookupRequest { networkId: string; source: string; name: string; type: QueryType }
/** undefined: weft does not know the name (forward it, unless the network is internal); [] : known name without records of that type (NOERROR, empty answer, do not forward). */
export type Lookup = (q: LookupRequest) => string[] | undefined; // A/AAAA: IPs; PTR: names (without trailing dot)
export interface DnsServerOptions {
  logger: Logger;
  lookup: Lookup;
  /** Upstream resolvers, tried in order: "ip", "ip:port" (IPv4), "[v6]:port", or "ip#port". Default port 53. Called per forwarded query. */
  upstreams: () => string[];
  /** TTL of local answers, seconds. Default 0 (answers change as soon as containers come and go). */
  ttl?: number;
  /** Time to wait for each upstream before trying the next. Default 2000 ms. */
  forwardTimeoutMs?: number;
}

// ---- wire constants -------------------------------------------------------------------

const FLAG_QR = 0x8000;
const FLAG_AA = 0x0400;
const FLAG_TC = 0x0200;
const FLAG_RD = 0x0100;
const FLAG_RA = 0x0080;
const RCODE_NOERROR = 0;
const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;
const RCODE_REFUSED = 5;
const TYPE_A = 1;
const TYPE_PTR = 12;
const TYPE_AAAA = 28;
const TYPE_OPT = 41;
const CLASS_IN = 1;

const UDP_DEFAULT_LIMIT = 512;
/** Largest UDP answer we send, whatever the client's EDNS buffer size says. */
const UDP_MAX_LIMIT = 4096;
/** EDNS UDP payload size we advertise in responses to EDNS queries. */
const ADVERTISED_UDP_SIZE = 1232;
const TCP_IDLE_MS = 10_000;
const MAX_TCP_CONNECTIONS = 256;
/** Queries of one TCP connection being answered at once; reading pauses beyond that. */
const MAX_TCP_INFLIGHT = 16;
/** Forwarded queries outstanding at once, server-wide; beyond that: SERVFAIL. */
const MAX_FORWARDS = 1024;

type Transport = 'udp' | 'tcp';

interface Listener {
  networkId: string;
  ip: string;
  port: number;
  internal: boolean;
  /** Pre-made sockets (created inside a sandbox's namespace) instead of binding ip:port. */
  fds?: { udp: number; tcp: number };
  udp?: dgram.Socket;
  tcp?: net.Server;
  conns: Set<net.Socket>;
  closed: boolean;
  ready: Promise<void>;
}

interface Upstream { host: string; port: number; family: 4 | 6 }

interface Parsed {
  id: number;
  rd: boolean;
  /** Raw bytes of the first question (echoed verbatim, preserving the asker's letter case). */
  question: Buffer;
  name: string;
  qtype: string;
  qclass: string;
  /** EDNS UDP payload size if the query carries an OPT record. */
  edns?: number;
}

type Decision =
  | { kind: 'local'; rcode: number; rrs: Buffer[]; note: string }
  | { kind: 'forward' };

export class DnsServer {
  private readonly logger: Logger;
  private readonly lookup: Lookup;
  private readonly upstreams: () => string[];
  private readonly ttl: number;
  private readonly forwardTimeoutMs: number;
  private readonly listeners = new Map<string, Listener>();
  private readonly forwardSockets = new Set<dgram.Socket | net.Socket>();
  private readonly badUpstreams = new Set<string>();
  private counters = { local: 0, forwarded: 0, malformed: 0, servfail: 0 };
  private tcpConnections = 0;
  private forwardsInFlight = 0;
  private closed = false;

  constructor(o: DnsServerOptions) {
    this.logger = o.logger;
    this.lookup = o.lookup;
    this.upstreams = o.upstreams;
    this.ttl = Math.max(0, Math.min(0x7fffffff, Math.floor(o.ttl ?? 0)));
    this.forwardTimeoutMs = o.forwardTimeoutMs ?? 2000;
  }

  /** Start answering on ip:port (port default 53) for network networkId; internal networks never forward (NXDOMAIN for unknown names). Idempotent per (networkId, ip). Resolves when bound (UDP and TCP). */
  async listen(networkId: string, ip: string, opts?: { internal?: boolean; port?: number; fds?: { udp: number; tcp: number } }): Promise<void> {
    if (this.closed) throw new Error('dns server is closed');
    const family = net.isIP(ip);
    if (family === 0) throw new Error(`dns: invalid listen address ${JSON.stringify(ip)}`);
    const key = `${networkId}|${canonicalIp(ip)}`;
    const existing = this.listeners.get(key);
    if (existing) {
      if (opts?.internal !== undefined) existing.internal = opts.internal;
      return existing.ready;
    }
    const port = opts?.port ?? 53;
    // Listeners on sockets made elsewhere (fds, e.g. inside a sandbox namespace) share
    // their address with every other sandbox's.
    for (const other of opts?.fds ? [] : this.listeners.values()) {
      if (!other.fds && canonicalIp(other.ip) === canonicalIp(ip) && (other.port === port || port === 0)) {
        throw new Error(`dns: ${fmtAddr(ip, port)} is already served for network ${other.networkId}`);
      }
    }
    const l: Listener = {
      networkId, ip, port, internal: opts?.internal ?? false, ...(opts?.fds ? { fds: opts.fds } : {}),
      conns: new Set(), closed: false, ready: Promise.resolve(),
    };
    l.ready = this.bind(l, family === 6 ? 'udp6' : 'udp4').catch((err: unknown) => {
      if (this.listeners.get(key) === l) this.listeners.delete(key);
      this.logger.warn({ err, network: networkId, address: fmtAddr(ip, port) }, 'dns: cannot listen');
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
    await Promise.all(mine.map((l) => this.closeListener(l)));
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.listeners.values()];
    this.listeners.clear();
    for (const s of this.forwardSockets) destroyForwardSocket(s);
    this.forwardSockets.clear();
    await Promise.all(all.map((l) => this.closeListener(l)));
  }

  /** Counters for tests/bench: queries answered locally, forwarded, dropped malformed. */
  stats(): { local: number; forwarded: number; malformed: number; servfail: number } {
    return { ...this.counters };
  }

  // ---- sockets ---------------------------------------------------------------------------

  private async bind(l: Listener, udpType: 'udp4' | 'udp6'): Promise<void> {
    // TCP first: it binds without SO_REUSEPORT, so a conflicting DNS server on the same
    // address makes it fail before the UDP socket (bound with SO_REUSEADDR) is created.
    const tcp = net.createServer((sock) => this.onTcpConnection(l, sock));
    tcp.maxConnections = MAX_TCP_CONNECTIONS;
    l.tcp = tcp;
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(l.fds ? { fd: l.fds.tcp } : { host: l.ip, port: l.port, exclusive: true }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      tcp.on('error', (err) => this.logger.warn({ err, network: l.networkId }, 'dns: tcp listener error'));
      const addr = tcp.address();
      const port = addr && typeof addr === 'object' && !l.fds ? addr.port : l.port;
      l.port = port;
      const udp = dgram.createSocket({ type: udpType, reuseAddr: true });
      l.udp = udp;
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(l.fds ? { fd: l.fds.udp } : { address: l.ip, port, exclusive: true }, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      udp.on('error', (err) => this.logger.warn({ err, network: l.networkId }, 'dns: udp socket error'));
      udp.on('message', (msg, rinfo) => this.onUdpMessage(l, msg, rinfo));
    } catch (err) {
      await this.closeListener(l, true);
      throw err;
    }
    if (l.closed) {
      // unlisten()/close() ran while binding.
      await this.closeListener(l, true);
      return;
    }
    this.logger.debug({ network: l.networkId, address: fmtAddr(l.ip, l.port), internal: l.internal }, 'dns: listening');
  }

  private async closeListener(l: Listener, fromBind = false): Promise<void> {
    l.closed = true;
    if (!fromBind) await l.ready.catch(() => undefined);
    for (const c of l.conns) c.destroy();
    l.conns.clear();
    const tcp = l.tcp;
    const udp = l.udp;
    l.tcp = undefined;
    l.udp = undefined;
    await Promise.all([
      new Promise<void>((resolve) => {
        if (!tcp || !tcp.listening) return resolve();
        tcp.close(() => resolve());
      }),
      new Promise<void>((resolve) => {
        if (!udp) return resolve();
        try {
          udp.close(() => resolve());
        } catch {
          resolve(); // never bound, or already closed
        }
      }),
    ]);
  }

  private onUdpMessage(l: Listener, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    try {
      const source = normalizeSource(rinfo.address);
      this.handle(l, msg, source, 'udp').then((resp) => {
        const udp = l.udp;
        if (!resp || l.closed || !udp) return;
        try {
          udp.send(resp, rinfo.port, rinfo.address, (err) => {
            if (err) this.logger.debug({ err, network: l.networkId, source }, 'dns: udp send failed');
          });
        } catch (err) {
          this.logger.debug({ err }, 'dns: udp send failed');
        }
      }, (err: unknown) => this.logger.warn({ err }, 'dns: udp handler failed'));
    } catch (err) {
      this.logger.warn({ err }, 'dns: udp handler failed');
    }
  }

  private onTcpConnection(l: Listener, sock: net.Socket): void {
    try {
      sock.on('error', () => undefined);
      if (l.closed || this.tcpConnections >= MAX_TCP_CONNECTIONS) {
        sock.destroy();
        return;
      }
      this.tcpConnections++;
      l.conns.add(sock);
      sock.once('close', () => {
        this.tcpConnections--;
        l.conns.delete(sock);
      });
      sock.setNoDelay(true);
      sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
      const source = normalizeSource(sock.remoteAddress ?? '');
      let buf: Buffer = Buffer.alloc(0);
      let inflight = 0;
      let paused = false;

      const pump = (): void => {
        try {
          while (inflight < MAX_TCP_INFLIGHT && buf.length >= 2) {
            const len = buf.readUInt16BE(0);
            if (buf.length < 2 + len) break;
            const msg = Buffer.from(buf.subarray(2, 2 + len));
            buf = buf.subarray(2 + len);
            inflight++;
            this.handle(l, msg, source, 'tcp').then((resp) => {
              if (!resp || sock.destroyed || !sock.writable) return;
              const frame = Buffer.allocUnsafe(2 + resp.length);
              frame.writeUInt16BE(resp.length, 0);
              resp.copy(frame, 2);
              sock.write(frame);
            }, (err: unknown) => this.logger.warn({ err }, 'dns: tcp handler failed')).finally(() => {
              inflight--;
              pump();
            });
          }
          if (inflight >= MAX_TCP_INFLIGHT && !paused) {
            paused = true;
            sock.pause();
          } else if (inflight < MAX_TCP_INFLIGHT && paused) {
            paused = false;
            sock.resume();
          }
        } catch (err) {
          this.logger.warn({ err }, 'dns: tcp handler failed');
          sock.destroy();
        }
      };

      sock.on('data', (chunk: Buffer) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        pump();
      });
    } catch (err) {
      this.logger.warn({ err }, 'dns: tcp connection handler failed');
      sock.destroy();
    }
  }

  // ---- queries ---------------------------------------------------------------------------

  /** Answer one query; null: drop it (malformed). Never throws. */
  private async handle(l: Listener, msg: Buffer, source: string, transport: Transport): Promise<Buffer | null> {
    const q = parseQuery(msg);
    if (!q) {
      this.counters.malformed++;
      return null;
    }
    const debug = this.logger.isLevelEnabled('debug');
    let decision: Decision;
    try {
      decision = this.decide(l, q, source);
    } catch (err) {
      this.logger.warn({ err, network: l.networkId, name: q.name, type: q.qtype }, 'dns: lookup failed');
      this.counters.servfail++;
      return buildResponse(q, RCODE_SERVFAIL, false, [], transport);
    }
    if (decision.kind === 'local') {
      this.counters.local++;
      if (debug) {
        this.logger.debug({ network: l.networkId, source, name: q.name, type: q.qtype, transport, answers: decision.rrs.length, result: decision.note }, 'dns: query answered');
      }
      return buildResponse(q, decision.rcode, true, decision.rrs, transport);
    }
    const relayed = await this.forward(l, q, msg, transport);
    if (relayed) {
      this.counters.forwarded++;
      if (debug) this.logger.debug({ network: l.networkId, source, name: q.name, type: q.qtype, transport, upstream: relayed.upstream }, 'dns: query forwarded');
      return relayed.resp;
    }
    this.counters.servfail++;
    if (debug) this.logger.debug({ network: l.networkId, source, name: q.name, type: q.qtype, transport }, 'dns: no upstream answered');
    return buildResponse(q, RCODE_SERVFAIL, false, [], transport);
  }

  private decide(l: Listener, q: Parsed, source: string): Decision {
    const networkId = l.networkId;
    const name = q.name;
    const ask = (type: QueryType, n: string): string[] | undefined => {
      const r = this.lookup({ networkId, source, name: n, type });
      return Array.isArray(r) ? r : undefined;
    };
    const isIN = q.qclass === 'IN';
    if (name === '') {
      // The root: nothing of weft's; forwarded below (unless internal).
    } else if (isIN && (q.qtype === 'A' || q.qtype === 'AAAA')) {
      const r = ask(q.qtype, name);
      if (r !== undefined) {
        const rrs = addressRecords(q.qtype, r, this.ttl);
        return { kind: 'local', rcode: RCODE_NOERROR, rrs, note: rrs.length ? 'answer' : 'nodata' };
      }
      if (ask(q.qtype === 'A' ? 'AAAA' : 'A', name) !== undefined) {
        return { kind: 'local', rcode: RCODE_NOERROR, rrs: [], note: 'nodata' };
      }
    } else if (isIN && q.qtype === 'PTR' && reverseToIp(name) !== undefined) {
      const r = ask('PTR', reverseToIp(name)!);
      if (r !== undefined) {
        const rrs = ptrRecords(r, this.ttl);
        return { kind: 'local', rcode: RCODE_NOERROR, rrs, note: rrs.length ? 'answer' : 'nodata' };
      }
    } else if (ask('A', name) !== undefined || ask('AAAA', name) !== undefined) {
      // Another type (MX, TXT, ANY, ...) or class for a name weft owns: it has no such records.
      return { kind: 'local', rcode: RCODE_NOERROR, rrs: [], note: 'nodata' };
    }
    // Unknown to weft.
    if (l.internal) return { kind: 'local', rcode: RCODE_NXDOMAIN, rrs: [], note: 'nxdomain (internal network)' };
    if (name !== '' && !name.includes('.')) {
      // Single-label names are container-ish names; with the search list the resolver also
      // asks the qualified forms, which are forwarded. Not leaking them upstream.
      return { kind: 'local', rcode: RCODE_NXDOMAIN, rrs: [], note: 'nxdomain (single label)' };
    }
    return { kind: 'forward' };
  }

  // ---- forwarding ------------------------------------------------------------------------

  private resolveUpstreams(): Upstream[] {
    let list: string[];
    try {
      list = this.upstreams();
    } catch (err) {
      this.logger.warn({ err }, 'dns: upstreams() failed');
      return [];
    }
    if (!Array.isArray(list)) return [];
    const own = new Set<string>();
    for (const l of this.listeners.values()) own.add(`${canonicalIp(l.ip)}|${l.port}`);
    const out: Upstream[] = [];
    for (const s of list) {
      const u = typeof s === 'string' ? parseUpstream(s) : undefined;
      if (!u) {
        const k = String(s);
        if (!this.badUpstreams.has(k)) {
          this.badUpstreams.add(k);
          this.logger.warn({ upstream: k }, 'dns: ignoring malformed upstream address');
        }
        continue;
      }
      if (own.has(`${canonicalIp(u.host)}|${u.port}`)) continue;
      out.push(u);
    }
    return out;
  }

  private async forward(l: Listener, q: Parsed, msg: Buffer, transport: Transport): Promise<{ resp: Buffer; upstream: string } | undefined> {
    const ups = this.resolveUpstreams();
    if (ups.length === 0 || this.forwardsInFlight >= MAX_FORWARDS) return undefined;
    this.forwardsInFlight++;
    try {
      let fallback: { resp: Buffer; upstream: string } | undefined;
      for (const u of ups) {
        if (l.closed || this.closed) return undefined;
        const upId = randomInt(0, 0x10000);
        const out = Buffer.from(msg);
        out.writeUInt16BE(upId, 0);
        let resp: Buffer;
        try {
          resp = transport === 'udp' ? await this.exchangeUdp(u, out, upId) : await this.exchangeTcp(u, out, upId);
        } catch (err) {
          this.logger.debug({ err: (err as Error).message, upstream: fmtAddr(u.host, u.port), name: q.name }, 'dns: upstream failed');
          continue;
        }
        const relay = Buffer.from(resp);
        relay.writeUInt16BE(q.id, 0);
        const rcode = relay.readUInt16BE(2) & 0xf;
        const r = { resp: relay, upstream: fmtAddr(u.host, u.port) };
        // Like Docker: SERVFAIL/REFUSED from one upstream -> try the next one.
        if (rcode === RCODE_SERVFAIL || rcode === RCODE_REFUSED) {
          fallback ??= r;
          continue;
        }
        return r;
      }
      return fallback;
    } finally {
      this.forwardsInFlight--;
    }
  }

  private exchangeUdp(u: Upstream, query: Buffer, upId: number): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const sock = dgram.createSocket(u.family === 6 ? 'udp6' : 'udp4');
      this.forwardSockets.add(sock);
      let done = false;
      const finish = (err: Error | undefined, resp?: Buffer): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.forwardSockets.delete(sock);
        destroyForwardSocket(sock);
        if (err) reject(err);
        else resolve(resp!);
      };
      const timer = setTimeout(() => finish(new Error('timeout')), this.forwardTimeoutMs);
      sock.on('error', (err) => finish(err));
      sock.on('close', () => finish(new Error('closed')));
      sock.on('message', (resp) => {
        // Connected socket: only the upstream's datagrams arrive. Match id and QR.
        if (resp.length >= 12 && resp.readUInt16BE(0) === upId && (resp.readUInt16BE(2) & FLAG_QR) !== 0) finish(undefined, resp);
      });
      try {
        sock.connect(u.port, u.host, () => {
          if (done) return;
          sock.send(query, (err) => { if (err) finish(err); });
        });
      } catch (err) {
        finish(err as Error);
      }
    });
  }

  private exchangeTcp(u: Upstream, query: Buffer, upId: number): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const sock = net.connect({ host: u.host, port: u.port });
      this.forwardSockets.add(sock);
      let done = false;
      let buf: Buffer = Buffer.alloc(0);
      const finish = (err: Error | undefined, resp?: Buffer): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.forwardSockets.delete(sock);
        sock.destroy();
        if (err) reject(err);
        else resolve(resp!);
      };
      const timer = setTimeout(() => finish(new Error('timeout')), this.forwardTimeoutMs);
      sock.setNoDelay(true);
      sock.on('error', (err) => finish(err));
      sock.on('close', () => finish(new Error('connection closed')));
      sock.on('connect', () => {
        const frame = Buffer.allocUnsafe(2 + query.length);
        frame.writeUInt16BE(query.length, 0);
        query.copy(frame, 2);
        sock.write(frame);
      });
      sock.on('data', (chunk: Buffer) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        while (buf.length >= 2) {
          const len = buf.readUInt16BE(0);
          if (buf.length < 2 + len) return;
          const resp = buf.subarray(2, 2 + len);
          buf = buf.subarray(2 + len);
          if (resp.length >= 12 && resp.readUInt16BE(0) === upId && (resp.readUInt16BE(2) & FLAG_QR) !== 0) {
            finish(undefined, Buffer.from(resp));
            return;
          }
        }
      });
    });
  }
}

// ---- helpers ---------------------------------------------------------------------------

function destroyForwardSocket(s: dgram.Socket | net.Socket): void {
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

/** Decode and validate a query; undefined when it must be dropped as malformed. */
function parseQuery(msg: Buffer): Parsed | undefined {
  if (msg.length < 12) return undefined;
  let p: dnsPacket.Packet;
  try {
    p = dnsPacket.decode(msg);
  } catch {
    return undefined;
  }
  const flags = msg.readUInt16BE(2);
  if ((flags & FLAG_QR) !== 0) return undefined; // a response
  if (((flags >> 11) & 0xf) !== 0) return undefined; // opcode != QUERY
  const questions = p.questions ?? [];
  if (questions.length === 0 || !questions[0]) return undefined;
  // Locate the first question's raw bytes; refuse compression pointers there (nothing
  // valid precedes it to point at).
  let off = 12;
  for (;;) {
    if (off >= msg.length) return undefined;
    const len = msg[off]!;
    if (len === 0) {
      off += 1;
      break;
    }
    if ((len & 0xc0) !== 0) return undefined;
    off += 1 + len;
  }
  off += 4;
  if (off > msg.length) return undefined;
  const q0 = questions[0];
  let name = typeof q0.name === 'string' ? q0.name.toLowerCase() : '';
  while (name.endsWith('.')) name = name.slice(0, -1);
  let edns: number | undefined;
  for (const a of p.additionals ?? []) {
    if (a && a.type === 'OPT') {
      edns = a.udpPayloadSize ?? UDP_DEFAULT_LIMIT;
      break;
    }
  }
  return {
    id: msg.readUInt16BE(0),
    rd: (flags & FLAG_RD) !== 0,
    question: Buffer.from(msg.subarray(12, off)),
    name,
    qtype: String(q0.type).toUpperCase(),
    qclass: String(q0.class ?? 'IN').toUpperCase(),
    edns,
  };
}

/** Owner name of every local answer: a compression pointer to the question name at offset 12. */
const OWNER_PTR = Buffer.from([0xc0, 0x0c]);

function rrPrefix(type: number, ttl: number): Buffer {
  const b = Buffer.allocUnsafe(10);
  OWNER_PTR.copy(b, 0);
  b.writeUInt16BE(type, 2);
  b.writeUInt16BE(CLASS_IN, 4);
  b.writeUInt32BE(ttl, 6);
  return b;
}

function addressRecords(type: 'A' | 'AAAA', ips: string[], ttl: number): Buffer[] {
  const seen = new Set<string>();
  const out: Buffer[] = [];
  for (const raw of ips) {
    if (typeof raw !== 'string') continue;
    const ip = type === 'AAAA' ? raw : normalizeSource(raw);
    if (type === 'A' ? !net.isIPv4(ip) : !net.isIPv6(ip) || ip.includes('%')) continue;
    const key = canonicalIp(ip);
    if (seen.has(key)) continue;
    seen.add(key);
    const rdata = type === 'A' ? dnsPacket.a.encode(ip) : dnsPacket.aaaa.encode(ip);
    out.push(Buffer.concat([rrPrefix(type === 'A' ? TYPE_A : TYPE_AAAA, ttl), rdata]));
  }
  return out;
}

function ptrRecords(names: string[], ttl: number): Buffer[] {
  const seen = new Set<string>();
  const out: Buffer[] = [];
  for (const raw of names) {
    if (typeof raw !== 'string') continue;
    const n = raw.replace(/\.+$/, '');
    if (!validName(n) || seen.has(n.toLowerCase())) continue;
    seen.add(n.toLowerCase());
    out.push(Buffer.concat([rrPrefix(TYPE_PTR, ttl), dnsPacket.ptr.encode(n)]));
  }
  return out;
}

function validName(n: string): boolean {
  if (n.length === 0 || Buffer.byteLength(n) > 253) return false;
  return n.split('.').every((label) => {
    const len = Buffer.byteLength(label);
    return len >= 1 && len <= 63;
  });
}

function buildResponse(q: Parsed, rcode: number, authoritative: boolean, rrs: Buffer[], transport: Transport): Buffer {
  const limit = transport === 'tcp'
    ? 0xffff
    : q.edns === undefined ? UDP_DEFAULT_LIMIT : Math.min(UDP_MAX_LIMIT, Math.max(UDP_DEFAULT_LIMIT, q.edns));
  const opt = q.edns === undefined ? undefined : optRecord();
  const fixed = 12 + q.question.length + (opt ? opt.length : 0);
  let size = fixed;
  for (const rr of rrs) size += rr.length;
  let truncated = false;
  let answers = rrs;
  if (size > limit) {
    truncated = true;
    if (transport === 'udp') {
      answers = []; // TC and no answers: the client retries over TCP
    } else {
      // Only with thousands of records: keep what fits in one TCP message.
      let s = fixed;
      let n = 0;
      while (n < rrs.length && s + rrs[n]!.length <= limit) s += rrs[n++]!.length;
      answers = rrs.slice(0, n);
    }
  }
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  let flags = FLAG_QR | FLAG_RA | (rcode & 0xf);
  if (authoritative) flags |= FLAG_AA;
  if (q.rd) flags |= FLAG_RD;
  if (truncated) flags |= FLAG_TC;
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  header.writeUInt16BE(0, 8);
  header.writeUInt16BE(opt ? 1 : 0, 10);
  return Buffer.concat([header, q.question, ...answers, ...(opt ? [opt] : [])]);
}

function optRecord(): Buffer {
  const b = Buffer.alloc(11);
  b[0] = 0; // root owner name
  b.writeUInt16BE(TYPE_OPT, 1);
  b.writeUInt16BE(ADVERTISED_UDP_SIZE, 3);
  // extended rcode 0, version 0, flags 0, rdlength 0
  return b;
}

/** "4.3.2.1.in-addr.arpa" -> "1.2.3.4"; 32-nibble ip6.arpa names -> canonical IPv6; else undefined. */
export function reverseToIp(name: string): string | undefined {
  const n = name.toLowerCase();
  if (n.endsWith('.in-addr.arpa')) {
    const labels = n.slice(0, -'.in-addr.arpa'.length).split('.');
    if (labels.length !== 4) return undefined;
    const octets: number[] = [];
    for (const l of labels) {
      if (!/^\d{1,3}$/.test(l)) return undefined;
      const v = Number(l);
      if (v > 255) return undefined;
      octets.push(v);
    }
    return octets.reverse().join('.');
  }
  if (n.endsWith('.ip6.arpa')) {
    const labels = n.slice(0, -'.ip6.arpa'.length).split('.');
    if (labels.length !== 32 || !labels.every((l) => /^[0-9a-f]$/.test(l))) return undefined;
    const hex = labels.reverse().join('');
    const groups: number[] = [];
    for (let i = 0; i < 32; i += 4) groups.push(parseInt(hex.slice(i, i + 4), 16));
    return formatV6(groups);
  }
  return undefined;
}

/** RFC 5952 text form of eight 16-bit groups (lowercase, no leading zeros, longest zero run as ::). */
function formatV6(groups: number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Canonical text of an IP address for comparisons; IPv4 and unparseable input are returned as is. */
function canonicalIp(ip: string): string {
  if (!net.isIPv6(ip)) return ip;
  const [addr, zone] = ip.split('%', 2) as [string, string | undefined];
  let s = addr.toLowerCase();
  // Embedded IPv4 tail -> two hex groups.
  const m = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (m) {
    const o = m[2]!.split('.').map(Number);
    s = `${m[1]}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::', 2) as [string, string] : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  const groups = [...h, ...fill, ...t].map((g) => parseInt(g, 16));
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g))) return ip;
  return formatV6(groups) + (zone ? `%${zone}` : '');
}

/** "::ffff:10.0.0.2" -> "10.0.0.2"; everything else unchanged. */
function normalizeSource(addr: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  return m ? m[1]! : addr;
}

/** Parse one upstream address (see the format at the top of this file). */
export function parseUpstream(s: string): Upstream | undefined {
  const str = s.trim();
  let host: string;
  let port = 53;
  let m: RegExpExecArray | null;
  if ((m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(str))) {
    host = m[1]!;
    if (m[2] !== undefined) port = Number(m[2]);
    if (!net.isIPv6(host)) return undefined;
  } else if ((m = /^(.+)#(\d{1,5})$/.exec(str))) {
    host = m[1]!;
    port = Number(m[2]);
  } else if (net.isIP(str)) {
    host = str;
  } else if ((m = /^([^:]+):(\d{1,5})$/.exec(str))) {
    host = m[1]!;
    port = Number(m[2]);
  } else {
    return undefined;
  }
  const family = net.isIP(host);
  if (family === 0 || port < 1 || port > 65535) return undefined;
  return { host, port, family: family as 4 | 6 };
}

function fmtAddr(ip: string, port: number): string {
  return net.isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`;
}
