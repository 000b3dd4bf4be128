/** The IPAM drivers a daemon offers, by name (what `--ipam-driver` selects). */
import type { Store } from '../src/store/store.js';
import type { IpamDriver } from './contract.js';
import { DefaultIpam } from './default/default.js';
import { NullIpam } from './null/null.js';

export function createIpamRegistry(store: Store): Map<string, IpamDriver> {
  const drivers: IpamDriver[] = [new DefaultIpam(store), new NullIpam()];
  return new Map(drivers.map((d) => [d.name, d]));
}

export { DefaultIpam } from './default/default.js';
export { NullIpam } from './null/null.js';
export type * from './contract.js';
