/**
 * How a network's outgoing traffic gets its source address, for both backends: masquerade
 * (the address of the interface it leaves by), or with com.docker.network.host_ipv4 /
 * host_ipv6 a fixed SNAT source for that family, as dockerd's `-j SNAT --to-source`.
 */
import type { FirewallNetwork } from '../contracts/firewall.js';
import type { Family } from './common.js';

function hostAddress(net: FirewallNetwork, family: Family): string | undefined {
  return family === 4 ? net.hostIpv4 : net.hostIpv6;
}

/** The WEFT-NAT-<id> rule for traffic leaving by another interface than `br`, as iptables-save prints it. */
export function iptablesOutbound(net: FirewallNetwork, family: Family, br: string): string {
  const to = hostAddress(net, family);
  return to ? `! -o ${br} -j SNAT --to-source ${to}` : `! -o ${br} -j MASQUERADE`;
}

/** The nat-<id> rules (one chain for both families) for traffic leaving by another interface than `br` (quoted). */
export function nftOutbound(net: FirewallNetwork, br: string): string[] {
  const snat = ([4, 6] as const).flatMap((family) => {
    const to = hostAddress(net, family);
    return to ? [`oifname != ${br} meta nfproto ipv${family} snat ${family === 4 ? 'ip' : 'ip6'} to ${to}`] : [];
  });
  return [...snat, `oifname != ${br} masquerade`];
}
