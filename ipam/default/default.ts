/**
 * The default IPAM driver, after libnetwork's: pools are subnets reserved in an address
 * space; addresses are handed out serially (next after the last one given, wrapping), so a
 * just-released address is not reused at once while peers may still cache it.
 *
 * State lives in the store: the space index (which subnets are taken) and one record per
 * pool (its reserved addresses). Every change is an update function on those records,
 * buffered in a unit of work (the caller's, or one the driver commits at once) and re-run
 * on the committed record at commit, where a clash (an overlap, an address taken) fails
 * the whole unit. Picks also skip what uncommitted units of this daemon hold (`pending`),
 * so concurrent operations do not pick the same address; on a store shared by several
 * daemons (etcd) a clash with another host fails that commit, and a change the driver
 * commits by itself picks again. An address is only handed out once its reservation is in
 * a commit (the caller's), so double allocation across restarts is impossible.
 */
import net from 'node:net';
import type { AddressRequestOptions, IpamDriver, PoolRequest, PoolResponse } from '../../src/contracts/ipam.js';
import type { Store, Transaction } from '../../src/contracts/store.js';
import { Conflict, InvalidArgument, NotFound } from '../../src/util/errors.js';
import { bigIntToIp, ipToBigInt, subnetsOverlap } from '../../src/util/ip.js';
import { Serial } from '../../src/util/lock.js';
import { lenientSubnet, parseSubnet, type Subnet, usable } from './addresses.js';
import { defaultV4Pools, defaultV6Pools } from './pools.js';
import { isSizeOnly, pickSized } from './sized.js';

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

/** How often a change the driver commits by itself picks again after losing races to other hosts. */
const ATTEMPTS = 50;

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
  /** Subnets and addresses (by subnet) that units of work not yet settled hold. */
  private readonly pendingPools = new Set<string>();
  private readonly pending = new Map<string, Set<string>>();
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

  requestPool(req: PoolRequest, tx?: Transaction): Promise<PoolResponse> {
    const asked = req.pool ? lenientSubnet(req.pool) : undefined;
    const picked = !req.pool || (asked !== undefined && isSizeOnly(asked));
    return this.change(tx, picked, (t) => this.doRequestPool(req, t));
  }

  releasePool(poolId: string, tx?: Transaction): Promise<void> {
    return this.change(tx, false, async (t) => this.doReleasePool(poolId, t));
  }

  requestAddress(poolId: string, address?: string, opts: AddressRequestOptions = {}, tx?: Transaction): Promise<string> {
    return this.change(tx, address === undefined, (t) => this.doRequestAddress(poolId, address, opts, t));
  }

  releaseAddress(poolId: string, address: string, tx?: Transaction): Promise<void> {
    return this.change(tx, false, async (t) => this.doReleaseAddress(poolId, address, t));
  }

  /** Ids of every pool reserved in this driver's space (for garbage collection). */
  async listPools(): Promise<string[]> {
    return ((await this.store.get<SpaceIndex>(this.indexKey()))?.value.pools ?? []).map((c) => this.poolId(c));
  }

  async listAddresses(poolId: string): Promise<string[]> {
    return (await this.load(this.subnetOf(poolId), this.store)).allocated;
  }

  /**
   * Run one change in the caller's unit, or in one of its own committed at once; `repick`:
   * a commit lost to another host (which took the pick meanwhile) is worth another pick.
   */
  private change<R>(tx: Transaction | undefined, repick: boolean, step: (t: Transaction) => Promise<R>): Promise<R> {
    return this.queue.run(async () => {
      if (tx) return step(tx);
      for (let attempt = 1; ; attempt++) {
        const own = this.store.begin();
        let r: R;
        try {
          r = await step(own);
        } catch (err) {
          own.abort();
          throw err;
        }
        try {
          await own.commit();
          return r;
        } catch (err) {
          if (!(repick && err instanceof Conflict && attempt < ATTEMPTS)) throw err;
        }
      }
    });
  }

  /** Hold `item` in `set` until the unit settles, so other units do not pick it meanwhile. */
  private hold(t: Transaction, set: Set<string>, item: string): void {
    set.add(item);
    t.onSettle(() => set.delete(item));
  }

  // --- pools ---------------------------------------------------------------------------

  private async doRequestPool(req: PoolRequest, t: Transaction): Promise<PoolResponse> {
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
    const idx = await t.get<SpaceIndex>(this.indexKey());
    const taken = [...(idx?.value.pools ?? []), ...this.pendingPools].map((c) => parseSubnet(c));
    let subnet: Subnet;
    if (wanted && isSizeOnly(wanted)) {
      if (range) throw new InvalidArgument('ip-range requires a subnet, not only a prefix length');
      subnet = this.pickDefault(req.v6, taken, req.avoid ?? [], wanted.prefix);
    } else if (wanted) {
      if (taken.some((t) => subnetsOverlap(t, wanted))) throw new Conflict(OVERLAP);
      subnet = wanted;
    } else {
      subnet = this.pickDefault(req.v6, taken, req.avoid ?? []);
    }
    const state: PoolState = { subnet: subnet.cidr, allocated: [], ...(range ? { range: range.cidr } : {}) };
    // Checked again at commit, against what other units committed meanwhile.
    t.update<SpaceIndex>(this.indexKey(), (cur) => {
      const pools = cur?.pools ?? [];
      if (pools.some((p) => subnetsOverlap(parseSubnet(p), subnet))) throw new Conflict(OVERLAP);
      return { pools: [...pools, subnet.cidr].sort() };
    });
    t.put(this.poolKey(subnet.cidr), state);
    this.hold(t, this.pendingPools, subnet.cidr);
    return { poolId: this.poolId(subnet.cidr), pool: subnet.cidr };
  }

  /** The first free default pool, or with `prefix` the first free subnet of that size inside them. */
  private pickDefault(v6: boolean, taken: Subnet[], avoid: string[], prefix?: number): Subnet {
    const avoided = avoid.map(lenientSubnet).filter((s): s is Subnet => s !== undefined);
    const sized = prefix === undefined ? undefined : pickSized(v6 ? this.v6Pools : this.v4Pools, v6, prefix, [...taken, ...avoided]);
    if (sized) return sized;
    for (const c of prefix === undefined ? (v6 ? this.v6Pools : this.v4Pools) : []) {
      const s = parseSubnet(c);
      if (taken.some((t) => subnetsOverlap(t, s)) || avoided.some((a) => subnetsOverlap(a, s))) continue;
      return s;
    }
    throw new Conflict(
      `could not find an available, non-overlapping IPv${v6 ? 6 : 4} address pool among the defaults to assign to the network`,
    );
  }

  private doReleasePool(poolId: string, t: Transaction): void {
    const cidr = this.subnetOf(poolId);
    t.update<SpaceIndex>(this.indexKey(), (cur) => cur && { pools: cur.pools.filter((p) => p !== cidr) });
    t.delete(this.poolKey(cidr));
  }

  // --- addresses -----------------------------------------------------------------------

  private async doRequestAddress(
    poolId: string, address: string | undefined, opts: AddressRequestOptions, t: Transaction,
  ): Promise<string> {
    const cidr = this.subnetOf(poolId);
    const subnet = parseSubnet(cidr);
    const { lo, hi } = usable(subnet);
    if (address !== undefined) {
      if (!net.isIP(address) || net.isIPv6(address) !== subnet.v6) throw new InvalidArgument(`invalid address ${address}`);
      const n = ipToBigInt(address);
      if (n < lo || n > hi) throw new InvalidArgument(`requested address ${address} is out of range of subnet ${cidr}`);
    }
    const pool = await this.load(cidr, t);
    const held = new Set([...pool.allocated, ...(this.pending.get(cidr) ?? [])]);
    let chosen: bigint;
    if (address !== undefined) {
      chosen = ipToBigInt(address);
      if (held.has(bigIntToIp(chosen, subnet.v6))) throw new Conflict(`Address already in use: ${address}`);
    } else if (opts.gateway) {
      chosen = scan(held, pool, subnet, lo, hi, lo);
    } else {
      const r = pool.range ? parseSubnet(pool.range) : undefined;
      const rlo = r && r.first > lo ? r.first : lo;
      const rhi = r && r.last < hi ? r.last : hi;
      const cursor = pool.cursor ? ipToBigInt(pool.cursor) : undefined;
      const start = cursor !== undefined && cursor >= rlo && cursor < rhi ? cursor + 1n : rlo;
      chosen = preferred(opts.prefer, held, subnet, rlo, rhi) ?? scanAvoiding(held, opts.avoid, pool, subnet, rlo, rhi, start);
    }
    const ip = bigIntToIp(chosen, subnet.v6);
    // A preferred address given back leaves the cursor where the serial picks are.
    const dynamic = address === undefined && !opts.gateway && ip !== opts.prefer;
    t.update<PoolState>(this.poolKey(cidr), (cur) => {
      if (!cur) throw this.missing(cidr);
      if (cur.allocated.includes(ip)) throw new Conflict(`Address already in use: ${ip}`);
      return { ...cur, allocated: [...cur.allocated, ip], ...(dynamic ? { cursor: ip } : {}) };
    });
    if (!this.pending.has(cidr)) this.pending.set(cidr, new Set());
    this.hold(t, this.pending.get(cidr)!, ip);
    return `${ip}/${subnet.prefix}`;
  }

  private doReleaseAddress(poolId: string, address: string, t: Transaction): void {
    const cidr = this.subnetOf(poolId);
    const ip = address.split('/')[0];
    if (!net.isIP(ip)) throw new InvalidArgument(`invalid address ${address}`);
    const canonical = bigIntToIp(ipToBigInt(ip), net.isIPv6(ip));
    // A pool already gone has nothing to release.
    t.update<PoolState>(this.poolKey(cidr), (cur) => cur && { ...cur, allocated: cur.allocated.filter((a) => a !== canonical) });
  }

  // --- persistence ---------------------------------------------------------------------

  private async load(cidr: string, from: Pick<Store, 'get'>): Promise<PoolState> {
    const rec = await from.get<PoolState>(this.poolKey(cidr));
    if (!rec) throw this.missing(cidr);
    return rec.value;
  }

  private missing(cidr: string): NotFound {
    return new NotFound(`IPAM pool ${cidr} not found in address space ${this.space}`);
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

/** `prefer` when it is a free address of this family inside [lo, hi]. */
function preferred(prefer: string | undefined, held: Set<string>, subnet: Subnet, lo: bigint, hi: bigint): bigint | undefined {
  if (!prefer || !net.isIP(prefer) || net.isIPv6(prefer) !== subnet.v6) return undefined;
  const n = ipToBigInt(prefer);
  return n >= lo && n <= hi && !held.has(bigIntToIp(n, subnet.v6)) ? n : undefined;
}

/** scan() skipping `avoid` too, unless that leaves no free address. */
function scanAvoiding(
  held: Set<string>, avoid: string[] | undefined, pool: PoolState, subnet: Subnet, lo: bigint, hi: bigint, start: bigint,
): bigint {
  const skipped = (avoid ?? []).filter((a) => net.isIP(a) && net.isIPv6(a) === subnet.v6).map((a) => bigIntToIp(ipToBigInt(a), subnet.v6));
  if (skipped.length) {
    try {
      return scan(new Set([...held, ...skipped]), pool, subnet, lo, hi, start);
    } catch (err) {
      if (!(err instanceof Conflict)) throw err;
    }
  }
  return scan(held, pool, subnet, lo, hi, start);
}

/** First address in [lo, hi] not in `held`, starting at `start` and wrapping around. */
function scan(held: Set<string>, pool: PoolState, subnet: Subnet, lo: bigint, hi: bigint, start: bigint): bigint {
  const size = hi - lo + 1n;
  let inRange = 0n;
  for (const a of held) {
    const n = ipToBigInt(a);
    if (n >= lo && n <= hi) inRange++;
  }
  if (size <= 0n || inRange >= size) {
    throw new Conflict(`no available addresses on this pool (${pool.range ?? subnet.cidr} is full)`);
  }
  // At most inRange+1 probes: the range has a hole.
  for (let n = start, probes = 0n; probes <= inRange; probes++) {
    if (!held.has(bigIntToIp(n, subnet.v6))) return n;
    n = n === hi ? lo : n + 1n;
  }
  throw new Conflict(`no available addresses on this pool (${subnet.cidr})`);
}
