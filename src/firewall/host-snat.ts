/**
 * How a network's outgoing traffic gets its source address, for both backends: masquerade
 * (the address of the interface it leaves by), or for IPv4 with com.docker.network.host_ipv4
 * a fixed SNAT source, as dockerd's `-j SNAT --to-source`.
 */
import type { FirewallNetwork } from '../contracts/firewall.js';
import type { Family } from './common.js';

/** The WEFT-NAT-<id> rule for traffic leaving by another interface than `br`, as iptables-save prints it. */
export function iptablesOutbound(net: FirewallNetwork, family: Family, br: string): string {
  return family === 4 && net.hostIpv4 ? `! -o ${br} -j SNAT --to-source ${net.hostIpv4}` : `! -o ${br} -j MASQUERADE`;
}

/** The nat-<id> rules (one chain for both families) for traffic leaving by another interface than `br` (quoted). */
export function nftOutbound(net: FirewallNetwork, br: string): string[] {
  if (!net.hostIpv4) return [`oifname != ${br} masquerade`];
  return [`oifname != ${br} meta nfproto ipv4 snat ip to ${net.hostIpv4}`, `oifname != ${br} masquerade`];
}
