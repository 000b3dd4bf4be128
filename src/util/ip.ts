/**
 * The one IP/CIDR module: parsing and formatting addresses and subnets, the byte buffers
 * rtnetlink wants, and subnet arithmetic on bigints (so IPv4 and IPv6 share one code path
 * and a /64 never overflows a JavaScript number). Validation is Node's (net.isIP), the
 * arithmetic and text forms are the ip-address package's.
 */
import net from 'node:net';
import { Address4, Address6 } from 'ip-address';

export const AF_INET = 2;
export const AF_INET6 = 10;

/** A subnet as numbers: host bits cleared, `cidr` in canonical text. */
export interface Subnet {
  cidr: string;
  v6: boolean;
  prefix: number;
  /** First (network) and last (IPv4 broadcast) address. */
  first: bigint;
  last: bigint;
}

export function familyOf(ip: string): number {
  return net.isIPv6(ip) ? AF_INET6 : AF_INET;
}

/** 4 or 6 for an address or a CIDR; throws on anything else. */
export function ipVersion(ipOrCidr: string): 4 | 6 {
  const version = net.isIP(ipOrCidr.split('/')[0]);
  if (!version) throw new Error(`not an IP address: ${ipOrCidr}`);
  return version as 4 | 6;
}

export function ipToBuffer(ip: string): Buffer {
  if (net.isIPv4(ip)) return Buffer.from(new Address4(ip).toArray());
  if (net.isIPv6(ip)) {
    const bytes = new Address6(ip).toByteArray();
    // Guard against a short array (leading zero bytes dropped): left-pad to 16.
    return Buffer.from(new Array(16 - bytes.length).fill(0).concat(bytes));
  }
  throw new Error(`not an IP address: ${ip}`);
}

export function bufferToIp(buf: Buffer): string {
  if (buf.length === 4) return Array.from(buf).join('.');
  if (buf.length === 16) return Address6.fromByteArray([...buf]).correctForm();
  throw new Error(`bad address length ${buf.length}`);
}

/** An address as an unsigned integer (32 bits for IPv4, 128 for IPv6). */
export function ipToBigInt(ip: string): bigint {
  if (net.isIPv4(ip)) return new Address4(ip).bigInt();
  if (net.isIPv6(ip)) return new Address6(ip).bigInt();
  throw new Error(`not an IP address: ${ip}`);
}

/** The text form of an address given as an integer (the form bufferToIp prints). */
export function bigIntToIp(n: bigint, v6: boolean): string {
  return v6 ? Address6.fromBigInt(n).correctForm() : Address4.fromBigInt(n).correctForm();
}

/** Canonical text of an address (inet_ntop form: "fd00::2", never "fd00:0::0002"). */
export function canonicalIp(ip: string): string {
  const version = net.isIP(ip);
  if (!version) throw new Error(`not an IP address: ${ip}`);
  return new net.SocketAddress({ address: ip, family: version === 6 ? 'ipv6' : 'ipv4' }).address;
}

/** Go's net.JoinHostPort: "10.0.0.1:53", "[2001:db8::1]:53" (IPv6 hosts in brackets). */
export function joinHostPort(host: string, port: string | number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** "10.0.0.5/24" -> { ip: "10.0.0.5", prefix: 24 } */
export function splitCidr(cidr: string): { ip: string; prefix: number } {
  const [ip, len] = cidr.split('/');
  const prefix = len === undefined ? (net.isIPv6(ip) ? 128 : 32) : Number(len);
  if (!net.isIP(ip) || !Number.isInteger(prefix)) throw new Error(`bad CIDR ${cidr}`);
  return { ip, prefix };
}

function widthOf(v6: boolean): number {
  return v6 ? 128 : 32;
}

/**
 * The subnet an address or CIDR lies in, host bits cleared ("10.1.2.3/24" is 10.1.2.0/24;
 * a plain address is its own /32 or /128). Throws on a bad address or prefix.
 */
export function subnetOf(cidr: string): Subnet {
  const { ip, prefix } = splitCidr(cidr);
  const v6 = net.isIPv6(ip);
  const width = widthOf(v6);
  if (prefix < 0 || prefix > width) throw new Error(`bad CIDR ${cidr}`);
  const hostBits = BigInt(width - prefix);
  const first = (ipToBigInt(ip) >> hostBits) << hostBits;
  const last = first + (1n << hostBits) - 1n;
  return { cidr: `${bigIntToIp(first, v6)}/${prefix}`, v6, prefix, first, last };
}

/** "10.1.2.3/24" -> "10.1.2.0/24": host bits cleared, address in inet_ntop form. */
export function canonicalCidr(cidr: string): string {
  ipVersion(cidr.split('/')[0]);
  const s = subnetOf(cidr);
  return `${canonicalIp(bigIntToIp(s.first, s.v6))}/${s.prefix}`;
}

/** The n-th address of a subnet, counting its network address as 0. */
export function nthAddress(cidr: string, n: number | bigint): string {
  const s = subnetOf(cidr);
  const ip = s.first + BigInt(n);
  if (ip < s.first || ip > s.last) throw new Error(`address ${n} is outside ${s.cidr}`);
  return bigIntToIp(ip, s.v6);
}

/** The last address of a subnet: the broadcast address on IPv4. */
export function lastAddress(cidr: string): string {
  const s = subnetOf(cidr);
  return bigIntToIp(s.last, s.v6);
}

export function subnetsOverlap(a: Subnet, b: Subnet): boolean {
  return a.v6 === b.v6 && a.first <= b.last && b.first <= a.last;
}

export function subnetContains(s: Subnet, ip: bigint): boolean {
  return ip >= s.first && ip <= s.last;
}

export function macToBuffer(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}

export function bufferToMac(buf: Buffer): string {
  return Array.from(buf).map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Whether ip (plain or CIDR) lies inside subnet (CIDR); false across families. */
export function cidrContains(subnet: string, ip: string): boolean {
  const { ip: sip, prefix } = splitCidr(subnet);
  const { ip: aip } = splitCidr(ip);
  if (familyOf(sip) !== familyOf(aip)) return false;
  const width = widthOf(net.isIPv6(sip));
  const hostBits = BigInt(width - Math.min(Math.max(prefix, 0), width));
  return ipToBigInt(sip) >> hostBits === ipToBigInt(aip) >> hostBits;
}

/** Whether two CIDRs share any address. */
export function cidrOverlaps(a: string, b: string): boolean {
  return cidrContains(a, splitCidr(b).ip) || cidrContains(b, splitCidr(a).ip);
}

/** Ranges a network's subnet may not touch, each with what it is for. */
const SPECIAL_RANGES: [string, string][] = [
  ['224.0.0.0/4', 'multicast'], ['255.255.255.255/32', 'broadcast'], ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'], ['ff00::/8', 'multicast'], ['::1/128', 'loopback'], ['fe80::/10', 'link-local'],
];

/** Why a subnet cannot carry a network (multicast, broadcast, loopback, link-local, all addresses), or undefined. */
export function specialSubnetUse(cidr: string): string | undefined {
  if (splitCidr(cidr).prefix === 0) return 'it covers the whole address space';
  const hit = SPECIAL_RANGES.find(([range]) => cidrOverlaps(range, cidr));
  return hit && `it overlaps the ${hit[1]} range ${hit[0]}`;
}
