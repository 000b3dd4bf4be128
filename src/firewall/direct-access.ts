/**
 * Direct routing (Docker 28): in nat mode a container address is closed to every host
 * interface but its bridge, so a neighbour that routes the subnet via the host reaches a
 * container only through a published host port. A network's trusted host interfaces, or
 * every interface when the daemon allows direct routing, also reach its published container
 * ports by address; unpublished ones stay closed. Other gateway modes set their own rules.
 */
import type { FirewallNetwork } from '../contracts/firewall.js';
import { checkIfName, type Family } from './common.js';

/** Whether published ports of this family are opened by container address. */
export function opensDirectly(net: FirewallNetwork, family: Family): boolean {
  if (net.internal || (net.gatewayModes?.[family] ?? 'nat') !== 'nat') return false;
  return Boolean(net.allowDirectRouting || net.trustedInterfaces?.length);
}

/** The interfaces of the direct path; undefined for every interface. */
function sources(net: FirewallNetwork): string[] | undefined {
  if (net.allowDirectRouting) return undefined;
  return (net.trustedInterfaces ?? []).map(checkIfName);
}

/** nftables rules of the into-bridge chain (before its final drop). */
export function nftDirectAccess(net: FirewallNetwork): string[] {
  const from = sources(net);
  const iif = from ? `iifname { ${from.map((i) => `"${i}"`).join(', ')} } ` : '';
  const out: string[] = [];
  for (const [f, addr] of [[4, 'ip'], [6, 'ip6']] as const) {
    if (opensDirectly(net, f)) out.push(`${iif}${addr} daddr . meta l4proto . th dport @port-accept${f} accept`);
  }
  return out;
}

/** iptables rules of the into-bridge chain of one family; `ports` holds the published container ports. */
export function iptablesDirectAccess(net: FirewallNetwork, family: Family, ports: string): string[] {
  if (!opensDirectly(net, family)) return [];
  const from = sources(net);
  return from ? from.map((i) => `-i ${i} -j ${ports}`) : [`-j ${ports}`];
}
