/**
 * Pure helpers shared by both backends: address canonicalisation (so generated rule text
 * matches what `iptables-save` / `nft list` print back, which makes idempotency checks
 * and dump comparisons exact), port-range expansion and short names derived from ids.
 */
import net from 'node:net';
import type { Logger } from 'pino';
import type { PortMapping, Protocol } from '../contracts/firewall.js';

/** Constructor options of both backends. */
export interface FirewallOptions {
  /** Act inside this network namespace (e.g. /run/netns/x) instead of the process's own. */
  netnsPath?: string;
  logger?: Logger;
}

export type Family = 4 | 6;

/** Canonical text of an address (inet_ntop form: "fd00::2", never "fd00:0::0002"). */
export function canonicalIp(ip: string): string {
  const family = net.isIP(ip);
  if (!family) throw new Error(`not an IP address: ${ip}`);
  return new net.SocketAddress({ address: ip, family: family === 6 ? 'ipv6' : 'ipv4' }).address;
}

export function familyOf(ip: string): Family {
  const f = net.isIP(ip.split('/')[0]);
  if (!f) throw new Error(`not an IP address: ${ip}`);
  return f as Family;
}

/** "10.1.2.3/24" -> "10.1.2.0/24"; host bits cleared, address canonical. */
export function canonicalCidr(cidr: string): string {
  const [ip, len] = cidr.split('/');
  const family = familyOf(ip);
  const bits = family === 4 ? 32 : 128;
  const prefix = len === undefined ? bits : Number(len);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) throw new Error(`bad CIDR ${cidr}`);
  const bytes = toBytes(ip, family);
  for (let bit = prefix; bit < bits; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit % 8));
  return `${fromBytes(bytes, family)}/${prefix}`;
}

function toBytes(ip: string, family: Family): number[] {
  if (family === 4) return ip.split('.').map(Number);
  // Expand "::" and an embedded dotted quad, then read 8 groups.
  let text = ip;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const q = dotted[1].split('.').map(Number);
    text = text.slice(0, -dotted[1].length) + `${((q[0] << 8) | q[1]).toString(16)}:${((q[2] << 8) | q[3]).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const v = parseInt(g, 16);
    return [v >> 8, v & 0xff];
  });
}

function fromBytes(bytes: number[], family: Family): string {
  if (family === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return canonicalIp(groups.join(':'));
}

/** Empty, "0.0.0.0" and "::" mean "every address of the host". */
export function isAnyHost(ip: string): boolean {
  return ip === '' || ip === '0.0.0.0' || ip === '::';
}

/** Short, stable per-network / per-endpoint tag for chain names (iptables allows 28 chars). */
export function shortId(id: string): string {
  const s = id.replace(/[^A-Za-z0-9]/g, '').slice(0, 12);
  if (!s) throw new Error(`unusable id "${id}"`);
  return s;
}

/** One host port forwarded to one container port (ranges are expanded 1:1, like Docker). */
export interface PortRule {
  family: Family;
  proto: Protocol;
  /** Canonical host address, or undefined for every local address. */
  hostIp?: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
  bridge: string;
}

export function expandMapping(m: PortMapping): PortRule[] {
  const family = familyOf(m.containerIp);
  const hostIp = isAnyHost(m.hostIp) ? undefined : canonicalIp(m.hostIp);
  if (hostIp && familyOf(hostIp) !== family) {
    throw new Error(`port mapping ${m.hostIp}:${m.hostPort} -> ${m.containerIp}: address families differ`);
  }
  const count = (m.hostPortEnd ?? m.hostPort) - m.hostPort + 1;
  const span = (m.containerPortEnd ?? m.containerPort) - m.containerPort + 1;
  if (!(m.hostPort > 0) || count < 1 || (span > 1 && span !== count)) {
    throw new Error(`bad port mapping ${m.hostPort}-${m.hostPortEnd ?? m.hostPort}:${m.containerPort}-${m.containerPortEnd ?? m.containerPort}`);
  }
  const out: PortRule[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      family, proto: m.proto, hostIp, hostPort: m.hostPort + i,
      containerIp: canonicalIp(m.containerIp), containerPort: m.containerPort + (span > 1 ? i : 0), bridge: m.bridge,
    });
  }
  return out;
}

export function expandMappings(ms: PortMapping[]): PortRule[] {
  return ms.flatMap(expandMapping);
}

/** Subnets of one family, canonical and de-duplicated, in the given order. */
export function subnetsOf(subnets: string[]): string[] {
  return [...new Set(subnets.map(canonicalCidr))];
}

/** Interface names go into rule text unquoted (iptables) or quoted (nft): keep them plain. */
export function checkIfName(name: string): string {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) throw new Error(`bad interface name "${name}"`);
  return name;
}
