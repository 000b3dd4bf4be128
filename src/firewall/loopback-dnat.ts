/**
 * Loopback clients of published ports without the userland proxy (dockerd
 * --userland-proxy=false), IPv4 only as in dockerd (::1 cannot be routed out of the host):
 * locally generated packets to 127.0.0.0/8 are DNATed in OUTPUT like every other local
 * destination, and leave for the bridge with the bridge's address instead of a loopback
 * source (the bridge's route_localnet lets them be routed at all). The raw drop of loopback
 * destinations that did not come in on lo still keeps neighbours out.
 */
import { LOOPBACK } from './common.js';
import { TABLE } from './nft-rules.js';
import type { RestoreBatch } from './iptables-rules.js';

const LOOPBACK_SOURCES_MASQUERADE = `-s ${LOOPBACK[4]} -m conntrack --ctstate DNAT -j MASQUERADE`;

/** Added after the nft base chains are (re)written: the IPv4 loopback DNAT and its masquerade. */
export function nftLoopbackDnatScript(): string {
  return [
    `add rule ${TABLE} output ip daddr ${LOOPBACK[4]} fib daddr type local jump ports`,
    `add rule ${TABLE} postrouting ip saddr ${LOOPBACK[4]} ct status dnat masquerade`,
    '',
  ].join('\n');
}

/** The same for iptables (IPv4 batches only); removed when off, as a daemon started with the proxy again needs. */
export function planLoopbackDnat(b: RestoreBatch, chains: { dnat: string; postrouting: string }, on: boolean): void {
  const jump = `-d ${LOOPBACK[4]} -m addrtype --dst-type LOCAL -j ${chains.dnat}`;
  if (!on) {
    b.remove('nat', 'OUTPUT', jump);
    b.remove('nat', chains.postrouting, LOOPBACK_SOURCES_MASQUERADE);
    return;
  }
  b.ensure('nat', 'OUTPUT', jump);
  b.ensure('nat', chains.postrouting, LOOPBACK_SOURCES_MASQUERADE, true);
}
