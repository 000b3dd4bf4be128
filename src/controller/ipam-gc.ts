/**
 * IPAM garbage collection. A crash between an IPAM call and the record that remembers its
 * result leaves a pool or address reserved for nobody. After reconcile every live
 * reservation is in a record, so whatever the local IPAM drivers hold beyond that is released.
 * The global address space is left alone: no host collects it alone.
 */
import { poolFor, type ControllerState } from './state.js';

/** Addresses each pool's owners hold (no prefix length), by pool id; every known pool is a key. */
function reservations(s: ControllerState): Map<string, Set<string>> {
  const used = new Map<string, Set<string>>();
  const note = (poolId: string, cidr: string | undefined) => {
    if (!cidr) return;
    if (!used.has(poolId)) used.set(poolId, new Set());
    used.get(poolId)!.add(cidr.split('/')[0]);
  };
  for (const n of s.networks.values()) {
    for (const p of [...n.ipv4, ...n.ipv6]) {
      note(p.poolId, p.gateway);
      for (const ip of Object.values(p.auxAddresses)) note(p.poolId, ip);
      if (!used.has(p.poolId)) used.set(p.poolId, new Set());
    }
  }
  for (const ep of s.endpoints.values()) {
    const n = s.networks.get(ep.networkId);
    if (!n) continue;
    if (ep.ipv4) note(poolFor(n.ipv4, ep.ipv4).poolId, ep.ipv4);
    if (ep.ipv6) note(poolFor(n.ipv6, ep.ipv6).poolId, ep.ipv6);
  }
  return used;
}

export async function collectIpamGarbage(s: ControllerState): Promise<void> {
  const used = reservations(s);
  for (const ipam of s.ipams.values()) {
    if (!ipam.listPools || !ipam.listAddresses) continue;
    for (const poolId of await ipam.listPools()) {
      const keep = used.get(poolId);
      if (!keep) {
        s.logger.warn({ poolId }, 'releasing an IPAM pool no network owns');
        await ipam.releasePool(poolId);
        continue;
      }
      for (const ip of await ipam.listAddresses(poolId).catch(() => [])) {
        if (keep.has(ip)) continue;
        s.logger.warn({ poolId, ip }, 'releasing an address no endpoint owns');
        await ipam.releaseAddress(poolId, ip);
      }
    }
  }
}
