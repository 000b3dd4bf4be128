/**
 * weft's default IPAM (ipam/default) as a CNI IPAM: each configured subnet is a pool in an
 * address space of its own per network name, and each attachment (container id +
 * interface) owns the addresses it got, recorded in the same unit of work as their
 * reservation, so DEL and GC release exactly what ADD took. Runs in-process for weft-cni
 * (ipam type "weft-ipam") and behind the weft-ipam executable for any other plugin.
 */
import { DefaultIpam } from '../../ipam/default/default.js';
import type { Store, Transaction } from '../contracts/store.js';
import { Conflict, InvalidArgument } from '../util/errors.js';
import { bigIntToIp, cidrContains, ipToBigInt, ipVersion, lastAddress, nthAddress } from '../util/ip.js';
import type { IpamConf, IpamRange } from './config.js';
import { CniError, CODE } from './errors.js';
import { emptyResult, type Result } from './result.js';

interface Owned { ips: { address: string; gateway?: string; poolId: string }[] }
interface PoolRecord { poolId: string; gateway: string }

export interface Attachment { containerId: string; ifname: string }

export const attachmentKey = (a: Attachment): string => `${a.containerId}/${a.ifname}`;

export class CniIpam {
  private readonly ipam: DefaultIpam;

  constructor(private readonly store: Store, private readonly network: string) {
    this.ipam = new DefaultIpam(store, { space: `cni-${network}`, name: 'weft-ipam' });
  }

  /** Addresses for one attachment: one per range set; the same ones again when it already has them. */
  async add(conf: IpamConf, a: Attachment, requested: string[]): Promise<Result> {
    if (!conf.ranges.length) throw new CniError(CODE.invalidConfig, 'ipam: no subnet or ranges configured');
    const have = await this.store.get<Owned>(this.ownerKey(a));
    if (have) return { ...emptyResult(), ips: have.value.ips.map(({ poolId: _, ...ip }) => ip), routes: conf.routes };
    for (const want of requested) {
      if (!conf.ranges.some((set) => set.some((r) => inRange(r, want)))) {
        throw new CniError(CODE.invalidConfig, `requested address ${want} is in none of the configured ranges`);
      }
    }
    const tx = this.store.begin();
    try {
      const ips: Owned['ips'] = [];
      for (const set of conf.ranges) {
        const want = requested.find((ip) => set.some((r) => inRange(r, ip)));
        ips.push(await this.fromSet(set, want, tx));
      }
      tx.put<Owned>(this.ownerKey(a), { ips });
      await tx.commit();
      return { ...emptyResult(), ips: ips.map(({ poolId: _, ...ip }) => ip), routes: conf.routes };
    } catch (err) {
      tx.abort();
      throw translate(err);
    }
  }

  /** Release what the attachment owns; nothing owned is fine (DEL is idempotent). */
  async del(a: Attachment): Promise<void> {
    const have = await this.store.get<Owned>(this.ownerKey(a));
    if (!have) return;
    const tx = this.store.begin();
    for (const ip of have.value.ips) await this.ipam.releaseAddress(ip.poolId, ip.address, tx);
    tx.delete(this.ownerKey(a));
    await tx.commit();
  }

  /** The addresses an attachment owns, or undefined. */
  async owned(a: Attachment): Promise<string[] | undefined> {
    return (await this.store.get<Owned>(this.ownerKey(a)))?.value.ips.map((x) => x.address);
  }

  /** Release every attachment of this network not in `valid` (keys: containerId/ifname). */
  async gc(valid: Set<string>): Promise<string[]> {
    const prefix = this.ownerKey({ containerId: '', ifname: '' }).slice(0, -1);
    const gone: string[] = [];
    for (const r of await this.store.list<Owned>(prefix)) {
      const key = r.key.slice(prefix.length);
      if (valid.has(key)) continue;
      const [containerId, ifname] = key.split('/');
      await this.del({ containerId, ifname });
      gone.push(key);
    }
    return gone;
  }

  private async fromSet(set: IpamRange[], want: string | undefined, tx: Transaction): Promise<Owned['ips'][number]> {
    const ranges = want ? set.filter((r) => inRange(r, want)) : set;
    let last: unknown;
    for (const r of ranges) {
      const pool = await this.pool(r, tx);
      try {
        const spanned = !want && (r.rangeStart || r.rangeEnd);
        const address = spanned ? await this.inSpan(r, pool, tx) : await this.ipam.requestAddress(pool.poolId, want, {}, tx);
        return { address, gateway: pool.gateway, poolId: pool.poolId };
      } catch (err) {
        if (!(err instanceof Conflict) || want) throw err;
        last = err;
      }
    }
    throw last;
  }

  /**
   * The next free address of [rangeStart, rangeEnd] after the range's last pick, wrapping,
   * as host-local hands them out; the subnet's first and last usable addresses bound it.
   */
  private async inSpan(r: IpamRange, pool: PoolRecord, tx: Transaction): Promise<string> {
    const v6 = ipVersion(r.subnet) === 6;
    const lo = ipToBigInt(r.rangeStart ?? nthAddress(r.subnet, 1));
    const hi = ipToBigInt(r.rangeEnd ?? lastAddress(r.subnet));
    const span = `${r.rangeStart ?? ''}-${r.rangeEnd ?? ''}`;
    const cursorKey = `cni/cursor/${this.network}/${r.subnet}/${span}`;
    const last = (await tx.get<string>(cursorKey))?.value;
    const from = last !== undefined && ipToBigInt(last) >= lo && ipToBigInt(last) < hi ? ipToBigInt(last) + 1n : lo;
    for (let n = from, probes = 0n; probes <= hi - lo; probes++, n = n === hi ? lo : n + 1n) {
      const ip = bigIntToIp(n, v6);
      try {
        const address = await this.ipam.requestAddress(pool.poolId, ip, {}, tx);
        tx.put<string>(cursorKey, ip);
        return address;
      } catch (err) {
        // Taken, or not usable in the subnet (its network or broadcast address).
        if (!(err instanceof Conflict) && !(err instanceof InvalidArgument)) throw err;
      }
    }
    throw new Conflict(`no available addresses in range ${r.rangeStart ?? r.subnet}-${r.rangeEnd ?? r.subnet}`);
  }

  /** The range's pool, made on first use with its gateway (given, or the first address) reserved. */
  private async pool(r: IpamRange, tx: Transaction): Promise<PoolRecord> {
    const key = `cni/pool/${this.network}/${r.subnet}`;
    const rec = await tx.get<PoolRecord>(key);
    if (rec) return rec.value;
    const { poolId } = await this.ipam.requestPool({ pool: r.subnet, v6: ipVersion(r.subnet) === 6 }, tx);
    const gateway = r.gateway ?? nthAddress(r.subnet, 1);
    await this.ipam.requestAddress(poolId, gateway, { gateway: true }, tx);
    const made = { poolId, gateway };
    tx.put<PoolRecord>(key, made);
    return made;
  }

  private ownerKey(a: Attachment): string {
    return `cni/owner/${this.network}/${attachmentKey(a)}`;
  }
}

/** In the range's subnet and, where it has them, between its rangeStart and rangeEnd (host-local's rule). */
function inRange(r: IpamRange, ip: string): boolean {
  if (!cidrContains(r.subnet, ip)) return false;
  const n = ipToBigInt(ip);
  return (!r.rangeStart || n >= ipToBigInt(r.rangeStart)) && (!r.rangeEnd || n <= ipToBigInt(r.rangeEnd));
}

function translate(err: unknown): unknown {
  if (err instanceof InvalidArgument) return new CniError(CODE.invalidConfig, err.message);
  if (err instanceof Conflict) return new CniError(CODE.failed, err.message);
  return err;
}
