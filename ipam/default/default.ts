/**
 * The default IPAM driver, after libnetwork's: pools are subnets reserved in an address
 * space; addresses are handed out serially (next after the last one given, wrapping), so a
 * just-released address is not reused at once while peers may still cache it.
 *
 * State lives in the store, and every change is a compare-and-swap on the record it
 * touches: the space index (which subnets are taken) for pools, the pool record for
 * addresses. With the local store a per-driver queue alone would do; the CAS makes the
 * same code safe on a store shared by several daemons (etcd), where two hosts may
 * allocate at the same moment. Double allocation across restarts is impossible because an
 * address is only returned after its record is durably written.
 */
import net from 'node:net';
import type { AddressRequestOptions, IpamDriver, PoolRequest, PoolResponse } from '../../src/contracts/ipam.js';
import type { Store } from '../../src/contracts/store.js';
import { Conflict, InvalidArgument, NotFound } from '../../src/util/errors.js';
import { bigIntToIp, ipToBigInt, subnetsOverlap } from '../../src/util/ip.js';
import { Serial } from '../../src/util/lock.js';
import { lenientSubnet, parseSubnet, type Subnet, usable } from './addresses.js';
import { defaultV4Pools, defaultV6Pools } from './pools.js';

interface SpaceIndex {
  /** Canonical CIDRs of every pool reserved in the space. */
  pools: string[];
}

interface PoolState {
  subnet: string;
  /** Dynamic allocation is limited to this range (--ip-range). */
  range?: string;
  /** Every reserved address (gateway, aux, endpoints). */
  allocated: string[];
  /** Last dynamically allocated address: the serial cursor. */
  cursor?: string;
}

interface CachedPool {
  state: PoolState;
  set: Set<string>;
  revision: number;
}

export interface DefaultIpamOptions {
  /** Address space name; "local" for single-host networks, "global" for overlays. */
  space?: string;
  name?: string;
  v4Pools?: string[];
  v6Pools?: string[];
}

const OVERLAP = 'invalid pool request: Pool overlaps with other one on this address space';

export class DefaultIpam implements IpamDriver {
  readonly name: string;
  readonly capability = { requiresMac: false };
  private readonly space: string;
  private readonly v4Pools: string[];
  private readonly v6Pools: string[];
  private readonly cache = new Map<string, CachedPool>();
  private readonly queue = new Serial();

  constructor(private readonly store: Store, o: DefaultIpamOptions = {}) {
    this.space = o.space ?? 'local';
    this.name = o.name ?? 'default';
    this.v4Pools = o.v4Pools ?? defaultV4Pools();
    this.v6Pools = o.v6Pools ?? defaultV6Pools();
  }

  defaultAddressSpaces(): { local: string; global: string } {
    return { local: 'local', global: 'global' };
  }

  requestPool(req: PoolRequest): Promise<PoolResponse> {
    return this.queue.run(() => this.doRequestPool(req));
  }

  releasePool(poolId: string): Promise<void> {
    return this.queue.run(() => this.doReleasePool(poolId));
  }

  requestAddress(poolId: string, address?: string, opts: AddressRequestOptions = {}): Promise<string> {
    return this.queue.run(() => this.doRequestAddress(poolId, address, opts));
  }

  releaseAddress(poolId: string, address: string): Promise<void> {
    return this.queue.run(() => this.doReleaseAddress(poolId, address));
  }

  /** Ids of every pool reserved in this driver's space (for garbage collection). */
  listPools(): Promise<string[]> {
    return this.queue.run(async () => ((await this.store.get<SpaceIndex>(this.indexKey()))?.value.pools ?? []).map((c) => this.poolId(c)));
  }

  listAddresses(poolId: string): Promise<string[]> {
    return this.queue.run(async () => [...(await this.load(this.subnetOf(poolId))).set]);
  }

  // --- pools ---------------------------------------------------------------------------

  private async doRequestPool(req: PoolRequest): Promise<PoolResponse> {
    const wanted = req.pool ? parse(req.pool, 'subnet') : undefined;
    if (wanted && wanted.v6 !== req.v6) {
      throw new InvalidArgument(`subnet ${req.pool} is not an ${req.v6 ? 'IPv6' : 'IPv4'} subnet`);
    }
    let range: Subnet | undefined;
    if (req.subPool) {
      if (!wanted) throw new InvalidArgument('ip-range requires a subnet');
      range = parse(req.subPool, 'ip-range');
      if (!(range.v6 === wanted.v6 && range.first >= wanted.first && range.last <= wanted.last)) {
        throw new InvalidArgument(`ip-range ${range.cidr} is not inside subnet ${wanted.cidr}`);
      }
    }
    for (;;) {
      const idx = await this.store.get<SpaceIndex>(this.indexKey());
      const taken = (idx?.value.pools ?? []).map((c) => parseSubnet(c));
      let subnet: Subnet;
      if (wanted) {
        if (taken.some((t) => subnetsOverlap(t, wanted))) throw new Conflict(OVERLAP);
        subnet = wanted;
      } else {
        subnet = this.pickDefault(req.v6, taken, req.avoid ?? []);
      }
      const state: PoolState = { subnet: subnet.cidr, allocated: [], ...(range ? { range: range.cidr } : {}) };
      // Index first: once the CAS succeeds the subnet is ours, and only then is its record
      // (re)written; an orphan record from an earlier crash is simply overwritten. A crash
      // between the two leaves an indexed pool without record, which releasePool clears.
      const pools = [...(idx?.value.pools ?? []), subnet.cidr].sort();
      if ((await this.store.compareAndSwap<SpaceIndex>(this.indexKey(), idx?.revision ?? null, { pools })) === undefined) {
        continue; // another allocator changed the space; re-check overlaps
      }
      const rev = await this.store.put(this.poolKey(subnet.cidr), state);
      this.cache.set(subnet.cidr, { state, set: new Set(), revision: rev });
      return { poolId: this.poolId(subnet.cidr), pool: subnet.cidr };
    }
  }

  private pickDefault(v6: boolean, taken: Subnet[], avoid: string[]): Subnet {
    const avoided = avoid.map(lenientSubnet).filter((s): s is Subnet => s !== undefined);
    for (const c of v6 ? this.v6Pools : this.v4Pools) {
      const s = parseSubnet(c);
      if (taken.some((t) => subnetsOverlap(t, s)) || avoided.some((a) => subnetsOverlap(a, s))) continue;
      return s;
    }
    throw new Conflict(
      `could not find an available, non-overlapping IPv${v6 ? 6 : 4} address pool among the defaults to assign to the network`,
    );
  }

  private async doReleasePool(poolId: string): Promise<void> {
    const cidr = this.subnetOf(poolId);
    for (;;) {
      const idx = await this.store.get<SpaceIndex>(this.indexKey());
      if (!idx?.value.pools.includes(cidr)) break;
      const pools = idx.value.pools.filter((p) => p !== cidr);
      if ((await this.store.compareAndSwap<SpaceIndex>(this.indexKey(), idx.revision, { pools })) !== undefined) break;
    }
    await this.store.delete(this.poolKey(cidr));
    this.cache.delete(cidr);
  }

  // --- addresses -----------------------------------------------------------------------

  private async doRequestAddress(poolId: string, address: string | undefined, opts: AddressRequestOptions): Promise<string> {
    const cidr = this.subnetOf(poolId);
    const subnet = parseSubnet(cidr);
    const { lo, hi } = usable(subnet);
    if (address !== undefined) {
      if (!net.isIP(address) || net.isIPv6(address) !== subnet.v6) throw new InvalidArgument(`invalid address ${address}`);
      const n = ipToBigInt(address);
      if (n < lo || n > hi) throw new InvalidArgument(`requested address ${address} is out of range of subnet ${cidr}`);
    }
    for (;;) {
      const pool = await this.load(cidr);
      let chosen: bigint;
      if (address !== undefined) {
        chosen = ipToBigInt(address);
        if (pool.set.has(bigIntToIp(chosen, subnet.v6))) throw new Conflict(`Address already in use: ${address}`);
      } else if (opts.gateway) {
        chosen = this.scan(pool, subnet, lo, hi, lo);
      } else {
        const r = pool.state.range ? parseSubnet(pool.state.range) : undefined;
        const rlo = r && r.first > lo ? r.first : lo;
        const rhi = r && r.last < hi ? r.last : hi;
        const cursor = pool.state.cursor ? ipToBigInt(pool.state.cursor) : undefined;
        const start = cursor !== undefined && cursor >= rlo && cursor < rhi ? cursor + 1n : rlo;
        chosen = this.scan(pool, subnet, rlo, rhi, start);
      }
      const ip = bigIntToIp(chosen, subnet.v6);
      const next: PoolState = {
        ...pool.state,
        allocated: [...pool.state.allocated, ip],
        ...(address === undefined && !opts.gateway ? { cursor: ip } : {}),
      };
      if (await this.save(cidr, pool, next)) return `${ip}/${subnet.prefix}`;
    }
  }

  /** First free address in [lo, hi], starting at `start` and wrapping around. */
  private scan(pool: CachedPool, subnet: Subnet, lo: bigint, hi: bigint, start: bigint): bigint {
    const size = hi - lo + 1n;
    let inRange = 0n;
    for (const a of pool.set) {
      const n = ipToBigInt(a);
      if (n >= lo && n <= hi) inRange++;
    }
    if (size <= 0n || inRange >= size) {
      throw new Conflict(`no available addresses on this pool (${pool.state.range ?? subnet.cidr} is full)`);
    }
    // At most inRange+1 probes: the range has a hole.
    for (let n = start, probes = 0n; probes <= inRange; probes++) {
      if (!pool.set.has(bigIntToIp(n, subnet.v6))) return n;
      n = n === hi ? lo : n + 1n;
    }
    throw new Conflict(`no available addresses on this pool (${subnet.cidr})`);
  }

  private async doReleaseAddress(poolId: string, address: string): Promise<void> {
    const cidr = this.subnetOf(poolId);
    const ip = address.split('/')[0];
    if (!net.isIP(ip)) throw new InvalidArgument(`invalid address ${address}`);
    const canonical = bigIntToIp(ipToBigInt(ip), net.isIPv6(ip));
    for (;;) {
      let pool: CachedPool;
      try {
        pool = await this.load(cidr);
      } catch (err) {
        if (err instanceof NotFound) return; // pool already gone: nothing to release
        throw err;
      }
      if (!pool.set.has(canonical)) return;
      const next: PoolState = { ...pool.state, allocated: pool.state.allocated.filter((a) => a !== canonical) };
      if (await this.save(cidr, pool, next)) return;
    }
  }

  // --- persistence ---------------------------------------------------------------------

  private async load(cidr: string): Promise<CachedPool> {
    const hit = this.cache.get(cidr);
    if (hit) return hit;
    const rec = await this.store.get<PoolState>(this.poolKey(cidr));
    if (!rec) throw new NotFound(`IPAM pool ${cidr} not found in address space ${this.space}`);
    const pool = { state: rec.value, set: new Set(rec.value.allocated), revision: rec.revision };
    this.cache.set(cidr, pool);
    return pool;
  }

  /** CAS the pool record; on a lost race drop the cache so the caller retries on fresh state. */
  private async save(cidr: string, pool: CachedPool, next: PoolState): Promise<boolean> {
    const rev = await this.store.compareAndSwap(this.poolKey(cidr), pool.revision, next);
    if (rev === undefined) {
      this.cache.delete(cidr);
      return false;
    }
    this.cache.set(cidr, { state: next, set: new Set(next.allocated), revision: rev });
    return true;
  }

  private indexKey(): string {
    return `ipam/${this.space}/index`;
  }

  private poolKey(cidr: string): string {
    return `ipam/${this.space}/pool/${cidr}`;
  }

  private poolId(cidr: string): string {
    return `${this.space}/${cidr}`;
  }

  private subnetOf(poolId: string): string {
    const prefix = `${this.space}/`;
    if (!poolId.startsWith(prefix)) throw new NotFound(`IPAM pool ${poolId} not found in address space ${this.space}`);
    return poolId.slice(prefix.length);
  }
}

function parse(cidr: string, what: string): Subnet {
  try {
    return parseSubnet(cidr);
  } catch (err) {
    throw new InvalidArgument((err as Error).message.replace(/^invalid subnet/, `invalid ${what}`));
  }
}
