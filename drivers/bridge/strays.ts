/**
 * The bridge driver's share of reconcile at start: host links it made that no network or
 * endpoint record owns. Only names the driver gives are touched — `br-<12 hex>` bridges
 * (the default for a network without a bridge name) and `veth<7 hex>` host ends
 * (hostIfName) enslaved to one of weft's bridges — so other software's links, even a
 * veth of the same pattern elsewhere, are left alone.
 */
import type { FirewallBackend } from '../../src/contracts/firewall.js';
import type { LinkInfo, Rtnl } from '../../src/kernel/rtnl.js';

const WEFT_BRIDGE = /^br-([0-9a-f]{12})$/;
const WEFT_VETH = /^veth[0-9a-f]{7}$/;

export interface OwnedLinks {
  bridges: Set<string>;
  veths: Set<string>;
}

/** Remove stray veths, then stray bridges (with their firewall rules). Returns the removed names. */
export async function removeStrayLinks(host: Rtnl, firewall: FirewallBackend, owned: OwnedLinks): Promise<string[]> {
  const links = await host.links();
  const weftBridges = new Set(links.filter((l) => l.kind === 'bridge' && (owned.bridges.has(l.name) || WEFT_BRIDGE.test(l.name)))
    .map((l) => l.index));
  const removed: string[] = [];
  for (const l of links) {
    if (l.kind !== 'veth' || !WEFT_VETH.test(l.name) || owned.veths.has(l.name)) continue;
    if (l.master === undefined || !weftBridges.has(l.master)) continue;
    if (await host.deleteLink(l.name)) removed.push(l.name);
  }
  for (const l of links) {
    if (l.kind !== 'bridge' || owned.bridges.has(l.name) || !WEFT_BRIDGE.test(l.name)) continue;
    await removeBridgeRules(host, firewall, l);
    if (await host.deleteLink(l.name)) removed.push(l.name);
  }
  return removed;
}

/**
 * The rules of the network the bridge was made for: its chains are named from the id prefix
 * in the bridge's name, its NAT elements keyed by the subnets of the bridge's addresses.
 */
async function removeBridgeRules(host: Rtnl, firewall: FirewallBackend, br: LinkInfo): Promise<void> {
  const id = WEFT_BRIDGE.exec(br.name)![1];
  const cidrs = (await host.addresses(br.index)).map((a) => a.cidr).filter((c) => !c.startsWith('fe80:'));
  await firewall.removeNetwork({
    id, bridge: br.name, internal: false, icc: true, masquerade: true,
    subnets4: cidrs.filter((c) => !c.includes(':')), subnets6: cidrs.filter((c) => c.includes(':')),
  });
}
