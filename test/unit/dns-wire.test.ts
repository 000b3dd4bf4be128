// Local answers on the wire, byte for byte: the question echoed as asked, owner names
// compressed to a pointer at the question (c00c), TTL 0, EDNS OPT advertising 1232, TC rules.
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import dnsPacket from 'dns-packet';
import type { Lookup } from '../../src/dns/resolver.js';
import { DnsServer } from '../../src/dns/server.js';

const HOST = '127.0.0.1';
const MANY = Array.from({ length: 60 }, (_, i) => `10.9.0.${i + 1}`);
const HUGE = Array.from({ length: 5000 }, (_, i) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
const RECORDS: Record<string, { A?: string[]; AAAA?: string[] }> = {
  web: { A: ['10.1.0.2', '::ffff:10.1.0.2', '10.1.0.4'], AAAA: ['fd00::2', 'FD00:0::2', 'fe80::1%eth0'] },
  many: { A: MANY },
  huge: { A: HUGE },
  'a.b': { A: ['10.0.0.1'] },
};
const lookup: Lookup = (q) => {
  if (q.type === 'PTR') return q.name === '10.1.0.2' ? ['web.mynet.', 'WEB.mynet', 'bad..name', 'x'.repeat(64)] : undefined;
  const r = RECORDS[q.name];
  return r ? r[q.type] ?? [] : undefined;
};

function query(name: string, type: dnsPacket.RecordType, o: { edns?: number; class?: dnsPacket.RecordClass } = {}): Buffer {
  const opt: dnsPacket.OptAnswer[] = o.edns
    ? [{ type: 'OPT', name: '.', udpPayloadSize: o.edns, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }]
    : [];
  return dnsPacket.encode({
    type: 'query', id: 0x1234, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: o.class ?? 'IN' }], additionals: opt,
  });
}

/** One label "a.b" (a dot inside the label), type A, class IN. */
const DOT_LABEL = Buffer.concat([Buffer.from('123401000001000000000000', 'hex'), Buffer.from([3, 0x61, 0x2e, 0x62, 0, 0, 1, 0, 1])]);

function udp(port: number, msg: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => { s.close(); reject(new Error('timeout')); }, 3000);
    s.on('message', (m) => { clearTimeout(timer); s.close(); resolve(m); });
    s.send(msg, port, HOST);
  });
}

function tcp(port: number, msg: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: HOST, port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { s.destroy(); reject(new Error('timeout')); }, 3000);
    s.on('error', reject);
    s.on('connect', () => s.write(Buffer.concat([Buffer.from([msg.length >> 8, msg.length & 0xff]), msg])));
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        clearTimeout(timer);
        s.destroy();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
  });
}

const GOLDEN: [string, Buffer, string][] = [
  ['A, duplicates (also v4-mapped) dropped', query('WeB', 'A'),
    '123485800001000200000000035765420000010001c00c000100010000000000040a010002c00c000100010000000000040a010004'],
  ['AAAA, duplicates and zoned addresses dropped', query('web', 'AAAA'),
    '1234858000010001000000000377656200001c0001c00c001c0001000000000010fd000000000000000000000000000002'],
  ['known name, other type: NOERROR, no records', query('web', 'MX'), '1234858000010000000000000377656200000f0001'],
  ['known name, other class: NOERROR, no records', query('web', 'A', { class: 'CH' }), '123485800001000000000000037765620000010003'],
  ['unknown single label without upstreams: SERVFAIL, not authoritative', query('nosuch', 'A'), '123481820001000000000000066e6f737563680000010001'],
  ['PTR, invalid and duplicate names dropped', query('2.0.1.10.in-addr.arpa', 'PTR'),
    '12348580000100010000000001320130013102313007696e2d61646472046172706100000c0001c00c000c000100000000000b03776562056d796e657400'],
  ['EDNS: OPT advertising 1232', query('web', 'A', { edns: 100 }),
    '123485800001000200000001037765620000010001c00c000100010000000000040a010002c00c000100010000000000040a01000400002904d0000000000000'],
  ['root without upstreams: SERVFAIL, not authoritative', query('.', 'NS'), '1234818200010000000000000000020001'],
  ['question echoed byte for byte', DOT_LABEL, '12348580000100010000000003612e620000010001c00c000100010000000000040a000001'],
];

describe('DnsServer wire format', () => {
  let server: DnsServer;
  let port = 0;

  beforeAll(async () => {
    server = new DnsServer({ logger: pino({ level: 'silent' }), lookup, upstreams: () => [], shuffle: false });
    for (let attempt = 0; ; attempt++) {
      port = randomInt(20000, 60000);
      try {
        await server.listen('n', HOST, { port });
        break;
      } catch (err) {
        if (attempt > 10) throw err;
      }
    }
  });

  afterAll(() => server?.close());

  it.each(GOLDEN)('%s', async (_, msg, hex) => {
    expect((await udp(port, msg)).toString('hex')).toBe(hex);
    expect((await tcp(port, msg)).toString('hex')).toBe(hex);
  });

  it('too big for UDP: TC, question only; TCP gets all records', async () => {
    expect((await udp(port, query('many', 'A'))).toString('hex')).toBe('123487800001000000000000046d616e790000010001');
    const full = await tcp(port, query('many', 'A'));
    expect(full.subarray(0, 22).toString('hex')).toBe('123485800001003c00000000046d616e790000010001');
    expect(full.length).toBe(22 + 60 * 16);
    expect(full.subarray(22 + 59 * 16).toString('hex')).toBe('c00c000100010000000000040a09003c');
  });

  it('too big for one TCP message: TC and the records that fit', async () => {
    const cut = await tcp(port, query('huge', 'A'));
    const fit = Math.floor((0xffff - 22) / 16);
    expect(cut.length).toBe(22 + fit * 16);
    expect(cut.readUInt16BE(2)).toBe(0x8780);
    expect(cut.readUInt16BE(6)).toBe(fit);
  });
});
