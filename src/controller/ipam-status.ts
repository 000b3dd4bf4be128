/**
 * A network's IPAM statistics (API 1.52 `Status.IPAM.Subnets`), from the addresses its
 * IPAM driver holds: IPsInUse counts those plus the addresses no one may take (the
 * network address, and the IPv4 broadcast address); DynamicIPsAvailable counts the free
 * addresses of the pool's dynamic range. Both saturate at 2^64 - 1, as dockerd's uint64.
 */
import type { IpamData } from '../contracts/driver.js';
import type { NetworkRecord } from './model.js';
import type { ControllerState } from './state.js';
import { ipToBigInt, subnetOf } from '../util/ip.js';

export interface SubnetStatus {
  IPsInUse: bigint;
  DynamicIPsAvailable: bigint;
}

const U64_MAX = (1n << 64n) - 1n;

function reserved(cidr: string): bigint[] {
  const s = subnetOf(cidr);
  if (!s.v6 && s.prefix >= 31) return [];
  return s.v6 ? [s.first] : [s.first, s.last];
}

async function held(s: ControllerState, n: NetworkRecord, p: IpamData): Promise<bigint[]> {
  const listed = await s.ipamOf(n)?.listAddresses?.(p.poolId);
  const fallback = [p.gateway, ...Object.values(p.auxAddresses), ...[...s.endpoints.values()]
    .filter((e) => e.networkId === n.id).flatMap((e) => [e.ipv4, e.ipv6])].filter((a): a is string => !!a);
  return (listed ?? fallback).map((a) => ipToBigInt(a.split('/')[0]));
}

export async function subnetStatuses(s: ControllerState, n: NetworkRecord): Promise<Record<string, SubnetStatus>> {
  const out: Record<string, SubnetStatus> = {};
  for (const p of [...n.ipv4, ...n.ipv6]) {
    const subnet = subnetOf(p.subnet);
    const used = new Set([...reserved(p.subnet), ...(await held(s, n, p))]);
    const range = p.ipRange ? subnetOf(p.ipRange) : subnet;
    const inRange = [...used].filter((a) => a >= range.first && a <= range.last).length;
    const size = range.last - range.first + 1n;
    out[p.subnet] = {
      IPsInUse: min(BigInt(used.size)),
      DynamicIPsAvailable: min(size - BigInt(inRange)),
    };
  }
  return out;
}

function min(v: bigint): bigint {
  return v > U64_MAX ? U64_MAX : v;
}
