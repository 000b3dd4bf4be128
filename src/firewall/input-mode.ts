/**
 * `--published-ports-firewall=input`: no published port is DNATed on the host. Every client
 * reaches the userland proxy's socket on the host port instead, so its packets cross the
 * host's INPUT path with their original destination, and the host's own firewall (ufw,
 * firewalld, any input chain) decides as for any host service. The price is the proxy's:
 * the container sees the host's address as the source, throughput is a relay's, and SCTP
 * (which the proxy cannot relay) cannot be published.
 */
import { type PublishedPortsFirewall, WEFT_DNAT_SKIP } from './common.js';
import type { RestoreBatch } from './iptables-rules.js';

/** nft: local destinations leave the nat hooks before their jump to the ports' DNAT (after the base chains were rewritten). */
export function nftInputModeScript(table: string, mode: PublishedPortsFirewall | undefined): string {
  if (mode !== 'input') return '';
  return ['prerouting', 'output'].map((chain) => `insert rule ${table} ${chain} fib daddr type local return\n`).join('');
}

/** iptables: WEFT-DNAT returns at once in input mode; the rule goes when the mode is another. */
export function planInputMode(b: RestoreBatch, dnatChain: string, mode: PublishedPortsFirewall | undefined): void {
  if (mode === 'input') b.ensure('nat', dnatChain, WEFT_DNAT_SKIP, true);
  else b.remove('nat', dnatChain, WEFT_DNAT_SKIP);
}
