/**
 * What weft answers itself: A, AAAA and PTR from the names the lookup knows, NOERROR without
 * records for other types of a known name, SERVFAIL for unknown names it must not forward.
 * Everything else goes to the forwarder.
 */
import net from 'node:net';
import { comparableIp, reverseToIp, unmapIpv4 } from './addresses.js';
import { RCODE_NOERROR, RCODE_SERVFAIL, type LocalRecord, type Query } from './message.js';

export type QueryType = 'A' | 'AAAA' | 'PTR';
export interface LookupRequest { networkId: string; source: string; name: string; type: QueryType }
/**
 * A/AAAA: IPs; PTR: names (without trailing dot). undefined: weft does not know the name
 * (forward it, unless the network is internal); []: known name without records of that type
 * (NOERROR, empty answer, do not forward).
 */
export type Lookup = (q: LookupRequest) => string[] | undefined;

/** Who asks, and on which listener: the lookup's key and whether forwarding is allowed. */
export interface Asker { networkId: string; source: string; internal: boolean }

export type Decision =
  | { kind: 'local'; rcode: number; records: LocalRecord[]; note: string }
  | { kind: 'forward' };

/** Decide how to answer q; throws what the lookup throws. shuffle: addresses in random order (see shuffle()). */
export function decide(lookup: Lookup, ttl: number, asker: Asker, q: Query, shuffle = true): Decision {
  const { name } = q;
  const ask = (type: QueryType, n: string): string[] | undefined => {
    const r = lookup({ networkId: asker.networkId, source: asker.source, name: n, type });
    return Array.isArray(r) ? r : undefined;
  };
  const isIN = q.qclass === 'IN';
  const reverse = isIN && q.qtype === 'PTR' ? reverseToIp(name) : undefined;
  if (name === '') {
    // The root: nothing of weft's; forwarded below (unless internal).
  } else if (isIN && (q.qtype === 'A' || q.qtype === 'AAAA')) {
    const r = ask(q.qtype, name);
    if (r !== undefined) {
      const records = addressRecords(q.qtype, r, ttl);
      return local(RCODE_NOERROR, shuffle ? shuffled(records) : records);
    }
    if (ask(q.qtype === 'A' ? 'AAAA' : 'A', name) !== undefined) return local(RCODE_NOERROR, []);
  } else if (reverse !== undefined) {
    const r = ask('PTR', reverse);
    if (r !== undefined) return local(RCODE_NOERROR, ptrRecords(r, ttl));
  } else if (ask('A', name) !== undefined || ask('AAAA', name) !== undefined) {
    // Another type (MX, TXT, ANY, ...) or class for a name weft owns: it has no such records.
    return local(RCODE_NOERROR, []);
  }
  // Unknown to weft: as dockerd, forwarded whatever its labels; an internal network has no
  // upstream to ask, which is a failure to resolve (SERVFAIL), not a name known not to exist.
  if (asker.internal) return local(RCODE_SERVFAIL, [], 'servfail (internal network)');
  return { kind: 'forward' };
}

function local(rcode: number, records: LocalRecord[], note?: string): Decision {
  return { kind: 'local', rcode, records, note: note ?? (records.length ? 'answer' : 'nodata') };
}

function addressRecords(type: 'A' | 'AAAA', ips: string[], ttl: number): LocalRecord[] {
  const seen = new Set<string>();
  const out: LocalRecord[] = [];
  for (const raw of ips) {
    if (typeof raw !== 'string') continue;
    const ip = type === 'AAAA' ? raw : unmapIpv4(raw);
    if (type === 'A' ? !net.isIPv4(ip) : !net.isIPv6(ip) || ip.includes('%')) continue;
    const key = comparableIp(ip);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ type, ttl, data: ip });
  }
  return out;
}

/**
 * Answers for a name several containers share (a scaled service, a common alias) come in a
 * new random order per query, as libnetwork's do: clients take the first address, so the
 * order is what spreads them over the replicas.
 */
function shuffled<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

function ptrRecords(names: string[], ttl: number): LocalRecord[] {
  const seen = new Set<string>();
  const out: LocalRecord[] = [];
  for (const raw of names) {
    if (typeof raw !== 'string') continue;
    const n = raw.replace(/\.+$/, '');
    if (!validName(n) || seen.has(n.toLowerCase())) continue;
    seen.add(n.toLowerCase());
    out.push({ type: 'PTR', ttl, data: n });
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
