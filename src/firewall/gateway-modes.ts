/**
 * What Docker's gateway modes change in a network's rules, for both backends. The base
 * rules (nat mode) admit traffic into a bridge only through a published port's DNAT; per
 * family, nat-unprotected admits everything and routed admits the published container
 * ports and ICMP by address, without NAT. Routed ports are filter rules only. A nat family
 * may open published ports by address as well (direct-access.ts).
 */
import type { FirewallNetwork, GatewayMode } from '../contracts/firewall.js';
import type { Family, PortRule } from './common.js';
import { iptablesDirectAccess, nftDirectAccess } from './direct-access.js';

/** The filter chain (iptables) holding routed networks' published container ports. */
export const WEFT_ROUTED = 'WEFT-ROUTED';

export function gatewayMode(net: FirewallNetwork, family: Family): GatewayMode {
  return net.gatewayModes?.[family] ?? 'nat';
}

/** Whether the family's subnets are masqueraded (routed ones leave with their own addresses). */
export function masqueradesFamily(net: FirewallNetwork, family: Family): boolean {
  return gatewayMode(net, family) !== 'routed';
}

/** nftables rules of the into-bridge chain that go before its final drop (both families, one chain). */
export function nftToExtras(net: FirewallNetwork): string[] {
  const out: string[] = [];
  const fam = {
    4: { nfproto: 'ipv4', icmp: 'ip protocol icmp', addr: 'ip' },
    6: { nfproto: 'ipv6', icmp: 'meta l4proto ipv6-icmp', addr: 'ip6' },
  };
  for (const f of [4, 6] as const) {
    const mode = gatewayMode(net, f);
    if (mode === 'nat-unprotected') out.push(`meta nfproto ${fam[f].nfproto} accept`);
    if (mode === 'routed') {
      out.push(`${fam[f].addr} daddr . meta l4proto . th dport @port-accept${f} accept`, `${fam[f].icmp} accept`);
    }
  }
  return [...out, ...nftDirectAccess(net)];
}

/** iptables rules of the into-bridge chain of one family that go before its final drop. */
export function iptablesToExtras(net: FirewallNetwork, family: Family): string[] {
  const mode = gatewayMode(net, family);
  if (mode === 'nat-unprotected') return ['-j ACCEPT'];
  if (mode === 'routed') return [`-j ${WEFT_ROUTED}`, `-p ${family === 4 ? 'icmp' : 'ipv6-icmp'} -j ACCEPT`];
  return iptablesDirectAccess(net, family, WEFT_ROUTED);
}

/** The WEFT-ROUTED rule of one routed port, as iptables-save prints it. */
export function routedAccept(r: PortRule): string {
  const bits = r.family === 4 ? 32 : 128;
  return `-d ${r.containerIp}/${bits} -p ${r.proto} -m ${r.proto} --dport ${r.containerPort} -j ACCEPT`;
}

/** Split rules into those that need NAT and those opened by address (routed, or direct as well as NATed). */
export function splitRouted(rules: PortRule[]): { nat: PortRule[]; routed: PortRule[] } {
  return { nat: rules.filter((r) => !r.routed), routed: rules.filter((r) => r.routed || r.direct) };
}
