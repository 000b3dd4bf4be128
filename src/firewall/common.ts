/**
 * Pure helpers shared by both backends: address canonicalisation (so generated rule text
 * matches what `iptables-save` / `nft list` print back, which makes idempotency checks
 * and dump comparisons exact), port-range expansion and short names derived from ids.
 */
import type { Logger } from 'pino';
import type { PortMapping, Protocol } from '../contracts/firewall.js';
import { canonicalCidr, canonicalIp, ipVersion } from '../util/ip.js';

export { canonicalCidr, canonicalIp } from '../util/ip.js';

/** Whether new connections to published ports pass the user chain first (host) or not (bypass); see user-chain.ts. */
export type PublishedPortsFirewall = 'bypass' | 'host' | 'input';

/** Constructor options of both backends. */
export interface FirewallOptions {
  /** Act inside this network namespace (e.g. /run/netns/x) instead of the process's own. */
  netnsPath?: string;
  logger?: Logger;
  /** Published ports serve 127.0.0.0/8 clients by DNAT (dockerd --userland-proxy=false). */
  loopbackDnat?: boolean;
  /**
   * host: new connections to published ports pass the user chain first (user-chain.ts); input: no
   * DNAT on the host, the proxy serves them (input-mode.ts); default bypass.
   */
  publishedPortsFirewall?: PublishedPortsFirewall;
}

export type Family = 4 | 6;

/** First rule of iptables' WEFT-DNAT with --published-ports-firewall=input (input-mode.ts): no published port is DNATed. */
export const WEFT_DNAT_SKIP = '-j RETURN';

export const familyOf: (ipOrCidr: string) => Family = ipVersion;

/** The loopback range of each family: only ever valid as a destination when it came in on lo. */
export const LOOPBACK: Record<Family, string> = { 4: '127.0.0.0/8', 6: '::1/128' };

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
  /** Only the container port is opened (gateway mode routed): no DNAT. */
  routed?: boolean;
  /** Also opened by container address, beside the DNAT (trusted interfaces, direct routing). */
  direct?: boolean;
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
    const host = `${m.hostPort}-${m.hostPortEnd ?? m.hostPort}`;
    throw new Error(`bad port mapping ${host}:${m.containerPort}-${m.containerPortEnd ?? m.containerPort}`);
  }
  const out: PortRule[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      family, proto: m.proto, hostIp, hostPort: m.hostPort + i,
      containerIp: canonicalIp(m.containerIp), containerPort: m.containerPort + (span > 1 ? i : 0), bridge: m.bridge,
      ...(m.routed ? { routed: true } : {}),
      ...(m.direct ? { direct: true } : {}),
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
