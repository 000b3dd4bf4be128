/** The IPAM drivers a daemon offers, by name (what `--ipam-driver` selects). */
import type { Store } from '../contracts/store.js';
import type { IpamDriver } from '../contracts/ipam.js';
import { DefaultIpam } from '../../ipam/default/default.js';
import { NullIpam } from '../../ipam/null/null.js';

/** `pools`: the subnets auto-picked networks get (--default-address-pool); a family left empty keeps the built-in ones. */
export function createIpamRegistry(store: Store, pools?: { v4: string[]; v6: string[] }): Map<string, IpamDriver> {
  const own = { ...(pools?.v4.length ? { v4Pools: pools.v4 } : {}), ...(pools?.v6.length ? { v6Pools: pools.v6 } : {}) };
  const drivers: IpamDriver[] = [new DefaultIpam(store, own), new NullIpam()];
  return new Map(drivers.map((d) => [d.name, d]));
}

/** Default pools of the global address space: 10.0.0.0/24 … 10.0.255.0/24, like swarm's. */
export function globalV4Pools(): string[] {
  return Array.from({ length: 256 }, (_, i) => `10.0.${i}.0/24`);
}

/** IPAM drivers of the cluster's global address space (overlay networks), over the shared store. */
export function createGlobalIpams(store: Store): IpamDriver[] {
  return [new DefaultIpam(store, { space: 'global', name: 'default', v4Pools: globalV4Pools() }), new NullIpam()];
}

export { DefaultIpam } from '../../ipam/default/default.js';
export { NullIpam } from '../../ipam/null/null.js';
export type * from '../contracts/ipam.js';
