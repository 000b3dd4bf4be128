/**
 * IPAM driver contract, after libnetwork's ipamapi: pools are requested per network and
 * address family, addresses per endpoint (plus the gateway and auxiliary addresses).
 * Addresses cross this boundary as CIDR strings ("10.1.0.5/24") so the caller always
 * knows the prefix length without a second lookup.
 *
 * Every change takes an optional unit of work (`tx`, on the store the driver keeps its
 * state in): the reservation then commits with the caller's records, or not at all.
 * Without one the driver commits the change by itself.
 */
import type { Transaction } from './store.js';

export interface PoolRequest {
  /** Address space name; drivers with one space ignore it. */
  addressSpace?: string;
  /** Explicit subnet (CIDR). Absent: the driver picks a free default pool. */
  pool?: string;
  /** Allocate dynamic addresses only inside this range (CIDR within pool). */
  subPool?: string;
  options?: { [key: string]: string };
  v6: boolean;
  /**
   * Subnets the picked pool must not overlap (e.g. routes in the host namespace). Only
   * consulted when `pool` is absent; explicit pools are checked against other pools only.
   */
  avoid?: string[];
}

export interface PoolResponse {
  poolId: string;
  /** The subnet actually reserved, CIDR. */
  pool: string;
}

export interface AddressRequestOptions {
  /** Marks the request as the network gateway (reserved like any other address). */
  gateway?: boolean;
  /** A dynamic request's preferred address (plain IP): given when free and inside the sub-pool, else the usual pick. */
  prefer?: string;
  /** Addresses (plain IPs) a dynamic pick skips while the pool has any other free one. Drivers may ignore both hints. */
  avoid?: string[];
  /** Reserve this address even if it lies outside the sub-pool (aux addresses, --ip). */
}

export interface IpamCapability {
  /** Whether the driver needs the endpoint's MAC before it allocates (DHCP-like). */
  requiresMac: boolean;
}

export interface IpamDriver {
  readonly name: string;
  readonly capability: IpamCapability;
  defaultAddressSpaces(): { local: string; global: string };
  /** Reserve a subnet. Throws Conflict if it overlaps another pool of the same space. */
  requestPool(req: PoolRequest, tx?: Transaction): Promise<PoolResponse>;
  releasePool(poolId: string, tx?: Transaction): Promise<void>;
  /**
   * Reserve `address` (plain IP, no prefix) or, when absent, the next free address of the
   * pool (inside its sub-pool, if any). Returns "ip/prefixlen". Throws Conflict when the
   * address is taken, InvalidArgument when it is outside the pool, Conflict ("no available
   * addresses") when the pool is exhausted.
   */
  requestAddress(poolId: string, address?: string, opts?: AddressRequestOptions, tx?: Transaction): Promise<string>;
  /** Release an address (plain IP or CIDR). Releasing a free address is a no-op. */
  releaseAddress(poolId: string, address: string, tx?: Transaction): Promise<void>;
  /**
   * Optional, for garbage collection after a crash: every pool id the driver holds, and
   * every address reserved in one (plain IPs).
   */
  listPools?(): Promise<string[]>;
  listAddresses?(poolId: string): Promise<string[]>;
}
