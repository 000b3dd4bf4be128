import dgram from 'node:dgram';
import net from 'node:net';
import { randomBytes, randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import dnsPacket from 'dns-packet';
import { reverseToIp } from '../../src/dns/addresses.js';
import type { Lookup, LookupRequest } from '../../src/dns/resolver.js';
import { DnsServer } from '../../src/dns/server.js';
import { parseUpstream } from '../../src/dns/upstreams.js';

const logger = pino({ level: 'silent' });
const SERVER_IP = '127.0.0.1';
const UPSTREAM_IP = '127.0.0.2';
const CLIENT_IP = '127.0.0.3';
const RD = dnsPacket.RECURSION_DESIRED;

// ---- client helpers -------------------------------------------------------------------

/** A decoded message as these tests read it: @types/dns-packet leaves out rcode and types records as a union. */
interface Rec { name: string; type: string; ttl?: number; data?: unknown }
type Reply = Omit<dnsPacket.DecodedPacket, 'answers' | 'additionals'> & { rcode: string; answers?: Rec[]; additionals?: Rec[] };
const decode = (b: Buffer): Reply => dnsPacket.decode(b) as Reply;

interface QueryOpts { host?: string; local?: string; edns?: number; timeoutMs?: number; id?: number }

function encodeQuery(name: string, type: dnsPacket.RecordType, opts: QueryOpts = {}): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: opts.id ?? randomInt(1, 0x10000),
    flags: RD,
    questions: [{ name, type, class: 'IN' }],
    additionals: opts.edns
      ? [{ type: 'OPT', name: '.', udpPayloadSize: opts.edns, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }]
      : [],
  });
}

function udpExchange(port: number, msg: Buffer, opts: QueryOpts = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error('timeout'));
    }, opts.timeoutMs ?? 3000);
    sock.on('error', (err) => {
      clearTimeout(timer);
      sock.close();
      reject(err);
    });
    sock.on('message', (resp) => {
      clearTimeout(timer);
      sock.close();
      resolve(resp);
    });
    sock.bind(0, opts.local ?? '127.0.0.1', () => sock.send(msg, port, opts.host ?? SERVER_IP));
  });
}

async function udpQuery(port: number, name: string, type: dnsPacket.RecordType, opts: QueryOpts = {}) {
  const id = opts.id ?? randomInt(1, 0x10000);
  const raw = await udpExchange(port, encodeQuery(name, type, { ...opts, id }), opts);
  const p = decode(raw);
  expect(p.id).toBe(id);
  return { p, raw };
}

/** Several queries on one TCP connection; responses matched by id. */
function tcpQueries(port: number, qs: { name: string; type: dnsPacket.RecordType }[], opts: QueryOpts = {}): Promise<Reply[]> {
  return new Promise((resolve, reject) => {
    const ids = qs.map((_, i) => 1000 + i);
    const got = new Map<number, Reply>();
    const sock = net.connect({ host: opts.host ?? SERVER_IP, port, localAddress: opts.local });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('timeout'));
    }, opts.timeoutMs ?? 3000);
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('connect', () => {
      for (let i = 0; i < qs.length; i++) {
        const m = encodeQuery(qs[i]!.name, qs[i]!.type, { id: ids[i] });
        const len = Buffer.alloc(2);
        len.writeUInt16BE(m.length);
        sock.write(Buffer.concat([len, m]));
      }
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const p = decode(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        got.set(p.id!, p);
      }
      if (got.size === qs.length) {
        clearTimeout(timer);
        sock.destroy();
        resolve(ids.map((id) => got.get(id)!));
      }
    });
  });
}

const tcpQuery = async (port: number, name: string, type: dnsPacket.RecordType, opts: QueryOpts = {}) =>
  (await tcpQueries(port, [{ name, type }], opts))[0]!;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

function randomPort(): number {
  return randomInt(20000, 60000);
}

/** listen() on a random high port, retrying when the port happens to be taken. */
async function listenRandom(s: DnsServer, networkId: string, internal = false): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = randomPort();
    try {
      await s.listen(networkId, SERVER_IP, { port, internal });
      return port;
    } catch (err) {
      if (attempt > 10) throw err;
    }
  }
}

// ---- stand-in upstream ----------------------------------------------------------------

interface Upstream { port: number; udp: number; tcp: number; close(): Promise<void> }

function upstreamAnswer(msg: Buffer): Buffer {
  const q = dnsPacket.decode(msg);
  const question = q.questions![0]!;
  const known = question.name.toLowerCase() === 'outside.test';
  return dnsPacket.encode({
    type: 'response',
    id: q.id,
    flags: RD | dnsPacket.RECURSION_AVAILABLE | (known ? 0 : 3), // NXDOMAIN otherwise
    questions: [question],
    answers: known && question.type === 'A' ? [{ name: question.name, type: 'A', class: 'IN', ttl: 300, data: '192.0.2.7' }] : [],
  });
}

async function startUpstream(): Promise<Upstream> {
  for (let attempt = 0; ; attempt++) {
    const port = randomPort();
    const state = { udp: 0, tcp: 0 };
    const tcp = net.createServer((sock) => {
      let buf = Buffer.alloc(0);
      sock.on('error', () => undefined);
      sock.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const len = buf.readUInt16BE(0);
          const m = buf.subarray(2, 2 + len);
          buf = buf.subarray(2 + len);
          state.tcp++;
          const r = upstreamAnswer(m);
          const l = Buffer.alloc(2);
          l.writeUInt16BE(r.length);
          sock.write(Buffer.concat([l, r]));
        }
      });
    });
    const udp = dgram.createSocket('udp4');
    udp.on('message', (m, rinfo) => {
      state.udp++;
      udp.send(upstreamAnswer(m), rinfo.port, rinfo.address);
    });
    try {
      await new Promise<void>((res, rej) => { tcp.once('error', rej); tcp.listen(port, UPSTREAM_IP, () => res()); });
      await new Promise<void>((res, rej) => { udp.once('error', rej); udp.bind(port, UPSTREAM_IP, () => res()); });
    } catch (err) {
      tcp.close();
      try { udp.close(); } catch { /* not bound */ }
      if (attempt > 10) throw err;
      continue;
    }
    return {
      port,
      get udp() { return state.udp; },
      get tcp() { return state.tcp; },
      close: async () => {
        await new Promise<void>((r) => tcp.close(() => r()));
        await new Promise<void>((r) => udp.close(() => r()));
      },
    };
  }
}

// ---- lookup stub ----------------------------------------------------------------------

const MANY = Array.from({ length: 60 }, (_, i) => `10.9.${Math.floor(i / 250)}.${(i % 250) + 1}`);
const RECORDS: Record<string, { A?: string[]; AAAA?: string[] }> = {
  web: { A: ['10.1.0.2'], AAAA: ['fd00::2'] },
  db: { A: ['10.1.0.3'] },
  many: { A: MANY },
};
const PTRS: Record<string, string[]> = { '10.1.0.2': ['web.mynet'], 'fd00::2': ['web.mynet'] };

function makeLookup(calls: LookupRequest[]): Lookup {
  return (q) => {
    calls.push(q);
    if (q.type === 'PTR') return PTRS[q.name];
    const r = RECORDS[q.name];
    if (!r) return undefined;
    return r[q.type] ?? [];
  };
}

// ---- tests ----------------------------------------------------------------------------

describe('DnsServer', () => {
  let up: Upstream;
  let server: DnsServer;
  let port: number;
  let internalPort: number;
  let upstreams: string[];
  const calls: LookupRequest[] = [];

  beforeAll(async () => {
    up = await startUpstream();
    upstreams = [`${UPSTREAM_IP}:${up.port}`];
    server = new DnsServer({ logger, lookup: makeLookup(calls), upstreams: () => upstreams, forwardTimeoutMs: 500, shuffle: false });
    port = await listenRandom(server, 'net1');
    // Different network on the same address, another port: an internal network.
    internalPort = await listenRandom(server, 'net2', true);
  });

  afterAll(async () => {
    await server?.close();
    await up?.close();
  });

  it('answers A and AAAA for a known name, authoritative, TTL 0, identifying network and source', async () => {
    calls.length = 0;
    const { p } = await udpQuery(port, 'web', 'A', { local: CLIENT_IP });
    expect(p.type).toBe('response');
    expect(p.rcode).toBe('NOERROR');
    expect(p.flag_aa).toBe(true);
    expect(p.flag_ra).toBe(true);
    expect(p.flag_rd).toBe(true);
    expect(p.flag_tc).toBe(false);
    expect(p.questions).toEqual([{ name: 'web', type: 'A', class: 'IN' }]);
    expect(p.answers!.map((a) => [a.name, a.type, a.ttl, a.data])).toEqual([['web', 'A', 0, '10.1.0.2']]);
    expect(calls[0]).toEqual({ networkId: 'net1', source: CLIENT_IP, name: 'web', type: 'A' });

    const six = await udpQuery(port, 'web', 'AAAA');
    expect(six.p.answers!.map((a) => [a.type, a.data])).toEqual([['AAAA', 'fd00::2']]);
  });

  it('known name without AAAA: NOERROR, empty answer, not forwarded', async () => {
    const before = up.udp;
    const { p } = await udpQuery(port, 'db', 'AAAA');
    expect(p.rcode).toBe('NOERROR');
    expect(p.flag_aa).toBe(true);
    expect(p.answers).toEqual([]);
    // Other types for a known name too.
    const mx = await udpQuery(port, 'db', 'MX');
    expect(mx.p.rcode).toBe('NOERROR');
    expect(mx.p.answers).toEqual([]);
    expect(up.udp).toBe(before);
  });

  it('unknown single-label name: forwarded like any other, as dockerd does', async () => {
    const before = up.udp + up.tcp;
    const { p } = await udpQuery(port, 'nosuch', 'A');
    expect(p.rcode).toBe('NXDOMAIN');
    expect(p.flag_aa).toBe(false);
    expect(up.udp + up.tcp).toBe(before + 1);
  });

  it('forwards unknown dotted names over UDP, relaying the upstream answer with the original id', async () => {
    const before = { ...server.stats() };
    const beforeUdp = up.udp;
    const { p } = await udpQuery(port, 'outside.test', 'A', { id: 4242 });
    expect(p.id).toBe(4242);
    expect(p.rcode).toBe('NOERROR');
    expect(p.flag_aa).toBe(false);
    expect(p.answers!.map((a) => [a.name, a.data, a.ttl])).toEqual([['outside.test', '192.0.2.7', 300]]);
    expect(up.udp).toBe(beforeUdp + 1);
    expect(server.stats().forwarded).toBe(before.forwarded + 1);
    // Upstream NXDOMAIN is relayed as is.
    const nx = await udpQuery(port, 'nowhere.test', 'A');
    expect(nx.p.rcode).toBe('NXDOMAIN');
  });

  it('forwards over TCP when asked over TCP', async () => {
    const beforeTcp = up.tcp;
    const beforeUdp = up.udp;
    const p = await tcpQuery(port, 'outside.test', 'A');
    expect(p.rcode).toBe('NOERROR');
    expect(p.answers!.map((a) => a.data)).toEqual(['192.0.2.7']);
    expect(up.tcp).toBe(beforeTcp + 1);
    expect(up.udp).toBe(beforeUdp);
  });

  it('internal network: SERVFAIL for unknown names, never forwards; local names still answered', async () => {
    const before = server.stats().forwarded;
    const beforeUp = up.udp + up.tcp;
    const { p } = await udpQuery(internalPort, 'outside.test', 'A');
    expect(p.rcode).toBe('SERVFAIL');
    const t = await tcpQuery(internalPort, 'outside.test', 'A');
    expect(t.rcode).toBe('SERVFAIL');
    expect(server.stats().forwarded).toBe(before);
    expect(up.udp + up.tcp).toBe(beforeUp);
    calls.length = 0;
    const web = await udpQuery(internalPort, 'web', 'A');
    expect(web.p.answers!.map((a) => a.data)).toEqual(['10.1.0.2']);
    expect(calls[0]!.networkId).toBe('net2');
  });

  it('answers PTR for in-addr.arpa and ip6.arpa with the lookup names', async () => {
    calls.length = 0;
    const { p } = await udpQuery(port, '2.0.1.10.in-addr.arpa', 'PTR');
    expect(p.rcode).toBe('NOERROR');
    expect(p.answers!.map((a) => [a.type, a.data])).toEqual([['PTR', 'web.mynet']]);
    expect(calls[0]).toMatchObject({ type: 'PTR', name: '10.1.0.2' });

    const nibbles = '2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa';
    calls.length = 0;
    const six = await udpQuery(port, nibbles, 'PTR');
    expect(six.p.answers!.map((a) => a.data)).toEqual(['web.mynet']);
    expect(calls[0]).toMatchObject({ type: 'PTR', name: 'fd00::2' });

    // Unknown address: forwarded (stand-in answers NXDOMAIN).
    const beforeUp = up.udp;
    const other = await udpQuery(port, '9.9.9.9.in-addr.arpa', 'PTR');
    expect(other.p.rcode).toBe('NXDOMAIN');
    expect(up.udp).toBe(beforeUp + 1);
  });

  it('converts reverse names to IPs', () => {
    expect(reverseToIp('4.3.2.1.in-addr.arpa')).toBe('1.2.3.4');
    expect(reverseToIp('3.2.1.in-addr.arpa')).toBeUndefined();
    expect(reverseToIp('256.3.2.1.in-addr.arpa')).toBeUndefined();
    const n = '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.IP6.ARPA';
    expect(reverseToIp(n)).toBe('2001:db8::1');
  });

  it('is case-insensitive, strips the trailing dot, and echoes the question as asked', async () => {
    calls.length = 0;
    const { p } = await udpQuery(port, 'WeB.', 'A');
    expect(p.answers!.map((a) => a.data)).toEqual(['10.1.0.2']);
    expect(p.questions![0]!.name).toBe('WeB');
    expect(p.answers![0]!.name).toBe('WeB');
    expect(calls[0]!.name).toBe('web');
    const rev = await udpQuery(port, '2.0.1.10.IN-ADDR.ARPA', 'PTR');
    expect(rev.p.answers!.map((a) => a.data)).toEqual(['web.mynet']);
  });

  it('sets TC with no answers when the UDP answer is too big, full answer over TCP or with EDNS', async () => {
    const { p, raw } = await udpQuery(port, 'many', 'A');
    expect(p.flag_tc).toBe(true);
    expect(p.answers).toEqual([]);
    expect(raw.length).toBeLessThanOrEqual(512);

    const t = await tcpQuery(port, 'many', 'A');
    expect(t.flag_tc).toBe(false);
    expect(t.answers!.map((a) => a.data)).toEqual(MANY);

    const e = await udpQuery(port, 'many', 'A', { edns: 4096 });
    expect(e.p.flag_tc).toBe(false);
    expect(e.p.answers!.map((a) => a.data)).toEqual(MANY);
    expect(e.p.additionals!.some((a) => a.type === 'OPT')).toBe(true);
  });

  it('answers several queries on one TCP connection', async () => {
    const rs = await tcpQueries(port, [
      { name: 'web', type: 'A' },
      { name: 'outside.test', type: 'A' },
      { name: 'db', type: 'AAAA' },
      { name: 'nosuch', type: 'A' },
    ]);
    expect(rs.map((r) => r.rcode)).toEqual(['NOERROR', 'NOERROR', 'NOERROR', 'NXDOMAIN']);
    expect(rs[0]!.answers!.map((a) => a.data)).toEqual(['10.1.0.2']);
    expect(rs[1]!.answers!.map((a) => a.data)).toEqual(['192.0.2.7']);
    expect(rs[2]!.answers).toEqual([]);
  });

  it('drops 1,000 malformed packets silently and keeps answering', async () => {
    const before = server.stats().malformed;
    const valid = encodeQuery('web', 'A');
    const sender = dgram.createSocket('udp4');
    await new Promise<void>((r) => sender.bind(0, '127.0.0.1', () => r()));
    let replies = 0;
    sender.on('message', () => { replies++; });
    const bad: Buffer[] = [];
    for (let i = 0; i < 1000; i++) {
      switch (i % 8) {
        case 0: bad.push(randomBytes(randomInt(0, 600))); break;
        case 1: bad.push(randomBytes(randomInt(0, 12))); break; // shorter than a header
        case 2: bad.push(valid.subarray(0, randomInt(0, valid.length - 1))); break; // truncated
        case 3: bad.push(upstreamAnswer(valid)); break; // a response
        case 4: { // opcode UPDATE
          const b = Buffer.from(valid);
          b.writeUInt16BE(b.readUInt16BE(2) | (5 << 11), 2);
          bad.push(b);
          break;
        }
        case 5: bad.push(dnsPacket.encode({ type: 'query', id: 7, flags: RD, questions: [] })); break; // no question
        case 6: { // question count says 3, only one present
          const b = Buffer.from(valid);
          b.writeUInt16BE(3, 4);
          bad.push(b);
          break;
        }
        default: { // compression pointer loop in the question name
          const b = Buffer.from(valid.subarray(0, 12));
          b.writeUInt16BE(1, 4);
          bad.push(Buffer.concat([b, Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])]));
        }
      }
    }
    for (let i = 0; i < bad.length; i++) {
      sender.send(bad[i]!, port, SERVER_IP);
      if (i % 10 === 9) await sleep(2); // stay under the socket receive buffer on a busy machine
    }
    // Garbage over TCP as well: zero-length frame, random frame.
    await new Promise<void>((resolve) => {
      const s = net.connect({ host: SERVER_IP, port }, () => {
        const g = randomBytes(100);
        s.write(Buffer.concat([Buffer.from([0, 0, 0, 100]), g]), () => setTimeout(() => { s.destroy(); resolve(); }, 50));
      });
      s.on('error', () => resolve());
    });
    await waitFor(() => server.stats().malformed >= before + 1000);
    expect(replies).toBe(0);
    sender.close();
    const { p } = await udpQuery(port, 'web', 'A');
    expect(p.answers!.map((a) => a.data)).toEqual(['10.1.0.2']);
    expect(server.stats().malformed).toBeGreaterThanOrEqual(before + 1000);
  });

  it('tries the next upstream after a failure; SERVFAIL without usable upstreams', async () => {
    const saved = upstreams;
    try {
      // Nothing listens on 127.0.0.9: port unreachable, then the stand-in.
      upstreams = [`127.0.0.9#${up.port}`, 'not an address', `${UPSTREAM_IP}:${up.port}`];
      const { p } = await udpQuery(port, 'outside.test', 'A');
      expect(p.answers!.map((a) => a.data)).toEqual(['192.0.2.7']);
      const t = await tcpQuery(port, 'outside.test', 'A');
      expect(t.answers!.map((a) => a.data)).toEqual(['192.0.2.7']);

      const sf = server.stats().servfail;
      upstreams = [];
      const none = await udpQuery(port, 'outside.test', 'A');
      expect(none.p.rcode).toBe('SERVFAIL');
      // Its own listen address is never used as an upstream (loop).
      upstreams = [`${SERVER_IP}:${port}`];
      const loop = await udpQuery(port, 'outside.test', 'A');
      expect(loop.p.rcode).toBe('SERVFAIL');
      expect(server.stats().servfail).toBe(sf + 2);
    } finally {
      upstreams = saved;
    }
  });

  it('parses upstream addresses', () => {
    expect(parseUpstream('10.0.0.1')).toEqual({ host: '10.0.0.1', port: 53, family: 4 });
    expect(parseUpstream('10.0.0.1:5353')).toEqual({ host: '10.0.0.1', port: 5353, family: 4 });
    expect(parseUpstream('10.0.0.1#5353')).toEqual({ host: '10.0.0.1', port: 5353, family: 4 });
    expect(parseUpstream('2001:db8::1')).toEqual({ host: '2001:db8::1', port: 53, family: 6 });
    expect(parseUpstream('[2001:db8::1]:5353')).toEqual({ host: '2001:db8::1', port: 5353, family: 6 });
    expect(parseUpstream('2001:db8::1#5353')).toEqual({ host: '2001:db8::1', port: 5353, family: 6 });
    expect(parseUpstream('dns.example')).toBeUndefined();
    expect(parseUpstream('10.0.0.1:70000')).toBeUndefined();
  });

  it('listen is idempotent per (network, address); another network cannot take the same address', async () => {
    await server.listen('net1', SERVER_IP, { port });
    await expect(server.listen('net3', SERVER_IP, { port })).rejects.toThrow(/already served/);
    const { p } = await udpQuery(port, 'web', 'A');
    expect(p.answers).toHaveLength(1);
  });
});

describe('DnsServer lifecycle', () => {
  it('answers a name with several addresses in a new order per query, every address each time', async () => {
    const s = new DnsServer({ logger, lookup: makeLookup([]), upstreams: () => [] });
    try {
      const p = await listenRandom(s, 'a');
      const orders = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const { p: r } = await udpQuery(p, 'many', 'A', { edns: 4096 });
        const ips = r.answers!.map((a) => a.data as string);
        expect([...ips].sort()).toEqual([...MANY].sort());
        orders.add(ips.join(','));
      }
      expect(orders.size).toBeGreaterThan(1);
    } finally {
      await s.close();
    }
  });

  it('unlisten stops answering on that network only', async () => {
    const s = new DnsServer({ logger, lookup: makeLookup([]), upstreams: () => [] });
    try {
      const a = await listenRandom(s, 'a');
      const b = await listenRandom(s, 'b');
      expect((await udpQuery(a, 'web', 'A')).p.answers).toHaveLength(1);
      await s.unlisten('a');
      await expect(udpQuery(a, 'web', 'A', { timeoutMs: 300 })).rejects.toThrow(/timeout/);
      await expect(tcpQuery(a, 'web', 'A')).rejects.toThrow(/ECONNREFUSED/);
      expect((await udpQuery(b, 'web', 'A')).p.answers).toHaveLength(1);
      expect((await tcpQuery(b, 'web', 'A')).answers).toHaveLength(1);
      // And it can listen again.
      await s.listen('a', SERVER_IP, { port: a });
      expect((await udpQuery(a, 'web', 'A')).p.answers).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it('close frees the ports (UDP and TCP) and closes open TCP connections', async () => {
    const s = new DnsServer({ logger, lookup: makeLookup([]), upstreams: () => [] });
    const p = await listenRandom(s, 'a');
    const idle = net.connect({ host: SERVER_IP, port: p });
    await new Promise<void>((r) => idle.once('connect', () => r()));
    const closed = new Promise<void>((r) => idle.once('close', () => r()));
    idle.on('error', () => undefined);
    await s.close();
    await closed;
    const udp = dgram.createSocket('udp4'); // no reuseAddr: fails if the port were still held
    await new Promise<void>((res, rej) => { udp.once('error', rej); udp.bind(p, SERVER_IP, () => res()); });
    udp.close();
    const tcp = net.createServer();
    await new Promise<void>((res, rej) => { tcp.once('error', rej); tcp.listen(p, SERVER_IP, () => res()); });
    await new Promise<void>((r) => tcp.close(() => r()));
    await expect(s.listen('a', SERVER_IP, { port: p })).rejects.toThrow(/closed/);
  });

  it('reports a bind conflict as a rejected listen', async () => {
    const blocker = net.createServer();
    let port = 0;
    for (;;) {
      port = randomPort();
      try {
        await new Promise<void>((res, rej) => { blocker.once('error', rej); blocker.listen(port, SERVER_IP, () => res()); });
        break;
      } catch { /* try another */ }
    }
    const s = new DnsServer({ logger, lookup: makeLookup([]), upstreams: () => [] });
    try {
      await expect(s.listen('a', SERVER_IP, { port })).rejects.toThrow(/EADDRINUSE/);
      // The failed listener is forgotten: a retry on a free port works.
      await listenRandom(s, 'a');
    } finally {
      await s.close();
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });
});
