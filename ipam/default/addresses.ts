/**
 * Address arithmetic for IPAM on bigints, so IPv4 and IPv6 share one code path and a /64
 * never overflows a JavaScript number.
 */
import net from 'node:net';
import { bufferToIp, ipToBuffer } from '../../src/util/ip.js';

export interface Subnet {
  /** Canonical CIDR text. */
  cidr: string;
  v6: boolean;
  prefix: number;
  /** First and last address of the subnet. */
  first: bigint;
  last: bigint;
}

export function ipToBig(ip: string): bigint {
  let n = 0n;
  for (const b of ipToBuffer(ip)) n = (n << 8n) | BigInt(b);
  return n;
}

export function bigToIp(n: bigint, v6: boolean): string {
  const len = v6 ? 16 : 4;
  const buf = Buffer.alloc(len);
  for (let i = len - 1; i >= 0; i--) {
    buf[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return bufferToIp(buf);
}

/**
 * Parse a CIDR. Host bits must be zero ("10.1.0.5/24" is refused with the subnet it
 * probably meant): silently widening a typo into a different network surprises people.
 */
export function parseSubnet(cidr: string): Subnet {
  const [ip, len, extra] = cidr.split('/');
  const v6 = net.isIPv6(ip);
  const bits = v6 ? 128 : 32;
  if (!net.isIP(ip) || len === undefined || extra !== undefined || !/^\d+$/.test(len) || Number(len) > bits) {
    throw new Error(`invalid subnet ${cidr}`);
  }
  const prefix = Number(len);
  const hostBits = BigInt(bits - prefix);
  const addr = ipToBig(ip);
  const first = (addr >> hostBits) << hostBits;
  const last = first + (1n << hostBits) - 1n;
  const canonical = `${bigToIp(first, v6)}/${prefix}`;
  if (first !== addr) throw new Error(`invalid subnet ${cidr}: host bits are set (did you mean ${canonical}?)`);
  return { cidr: canonical, v6, prefix, first, last };
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  return a.v6 === b.v6 && a.first <= b.last && b.first <= a.last;
}

export function contains(s: Subnet, ip: bigint): boolean {
  return ip >= s.first && ip <= s.last;
}

/**
 * The addresses endpoints may get: not the network address, and on IPv4 not the
 * broadcast address (a /31 or /32 has neither, RFC 3021).
 */
export function usable(s: Subnet): { lo: bigint; hi: bigint } {
  if (!s.v6 && s.prefix >= 31) return { lo: s.first, hi: s.last };
  return { lo: s.first + 1n, hi: s.v6 ? s.last : s.last - 1n };
}
