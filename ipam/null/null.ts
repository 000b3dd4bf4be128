/**
 * The null IPAM driver, for networks whose endpoints get no addresses from weft (host,
 * none). It hands out one placeholder pool per family and never an address, like
 * libnetwork's null IPAM.
 */
import { InvalidArgument } from '../../src/util/errors.js';
import type { IpamDriver, PoolRequest, PoolResponse } from '../../src/contracts/ipam.js';

export class NullIpam implements IpamDriver {
  readonly name = 'null';
  readonly capability = { requiresMac: false };

  defaultAddressSpaces(): { local: string; global: string } {
    return { local: 'null', global: 'null' };
  }

  async requestPool(req: PoolRequest): Promise<PoolResponse> {
    if (req.pool) throw new InvalidArgument('the null IPAM driver does not accept a subnet');
    return req.v6 ? { poolId: 'null/::/0', pool: '::/0' } : { poolId: 'null/0.0.0.0/0', pool: '0.0.0.0/0' };
  }

  async releasePool(): Promise<void> {}

  async requestAddress(_poolId: string, address?: string): Promise<string> {
    if (address) throw new InvalidArgument('the null IPAM driver does not assign addresses');
    return '';
  }

  async releaseAddress(): Promise<void> {}
}
