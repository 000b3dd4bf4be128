/**
 * Throughput settings of an overlay network's namespace, applied when it is built.
 *
 * Bridged frames skip netfilter: with br_netfilter loaded (Docker's bridge driver loads it,
 * and its `bridge-nf-call-*` sysctls default to 1 in every new namespace) each frame crossing
 * br0 would be handed to the IPv4/IPv6/ARP hooks of the overlay namespace — which holds no
 * rules (overlay filtering happens in the containers' and the host's namespaces) — costing a
 * hook traversal per frame in both directions.
 */
import fs from 'node:fs';
import { inNetns } from '../../src/kernel/netns.js';

export const BRIDGE_NF_SYSCTLS = ['bridge-nf-call-iptables', 'bridge-nf-call-ip6tables', 'bridge-nf-call-arptables'].map(
  (k) => `net/bridge/${k}`,
);

/** Turn the bridge netfilter hooks off in the overlay namespace (nothing to do without br_netfilter). */
export function tuneOverlayNamespace(nsPath: string): void {
  inNetns(nsPath, () => {
    for (const key of BRIDGE_NF_SYSCTLS) if (fs.existsSync(`/proc/sys/${key}`)) fs.writeFileSync(`/proc/sys/${key}`, '0');
  });
}
