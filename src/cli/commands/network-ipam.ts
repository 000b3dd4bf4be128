/** IPAM consolidation as docker/cli network/create.go createIPAMConfig does it. */
import net from 'node:net';
import { cidrContains } from '../../util/ip.js';
import { UsageError } from '../client.js';

export interface IpamConfig {
  Subnet: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** The address part of a CIDR, refused with Go's net.ParseCIDR wording when it is not one. */
function cidrAddress(cidr: string): string {
  const slash = cidr.indexOf('/');
  const ip = slash < 0 ? '' : cidr.slice(0, slash);
  const bits = slash < 0 ? '' : cidr.slice(slash + 1);
  const fam = net.isIP(ip);
  const prefix = /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (fam === 0 || Number.isNaN(prefix) || prefix > (fam === 4 ? 32 : 128)) {
    throw new UsageError(`invalid CIDR address: ${cidr}`);
  }
  return ip;
}

/** Go's subnetMatches: is `data` (an address, or a CIDR whose address is used) inside `subnet`? */
export function subnetMatches(subnet: string, data: string): boolean {
  try {
    cidrAddress(subnet);
  } catch (err) {
    throw new UsageError(`invalid subnet: ${(err as Error).message}`);
  }
  const ip = data.includes('/') ? cidrAddress(data) : data;
  return net.isIP(ip) !== 0 && cidrContains(subnet, ip);
}

/** Pair --gateway/--ip-range/--aux-address with their --subnet by containment, as docker does. */
export function consolidateIpam(
  subnets: string[], ranges: string[], gateways: string[], auxAddresses: Record<string, string>,
): IpamConfig[] {
  if (subnets.length < ranges.length || subnets.length < gateways.length) {
    throw new UsageError('every ip-range or gateway must have a corresponding subnet');
  }
  const data = new Map<string, IpamConfig & { AuxiliaryAddresses: Record<string, string> }>();
  for (const s of subnets) {
    for (const k of data.keys()) {
      if (subnetMatches(s, k) || subnetMatches(k, s)) {
        throw new UsageError('multiple overlapping subnet configuration is not supported');
      }
    }
    data.set(s, { Subnet: s, AuxiliaryAddresses: {} });
  }
  for (const r of ranges) {
    let match = false;
    for (const s of subnets) {
      if (!subnetMatches(s, r)) continue;
      const d = data.get(s)!;
      if (d.IPRange) throw new UsageError(`cannot configure multiple ranges (${r}, ${d.IPRange}) on the same subnet (${s})`);
      d.IPRange = r;
      match = true;
    }
    if (!match) throw new UsageError(`no matching subnet for range ${r}`);
  }
  for (const g of gateways) {
    let match = false;
    for (const s of subnets) {
      if (!subnetMatches(s, g)) continue;
      const d = data.get(s)!;
      if (d.Gateway) throw new UsageError(`cannot configure multiple gateways (${g}, ${d.Gateway}) for the same subnet (${s})`);
      d.Gateway = g;
      match = true;
    }
    if (!match) throw new UsageError(`no matching subnet for gateway ${g}`);
  }
  for (const [key, aa] of Object.entries(auxAddresses)) {
    let match = false;
    for (const s of subnets) {
      if (!subnetMatches(s, aa)) continue;
      data.get(s)!.AuxiliaryAddresses[key] = aa;
      match = true;
    }
    if (!match) throw new UsageError(`no matching subnet for aux-address ${aa}`);
  }
  // Field order and omission as Go's json encoding of network.IPAMConfig (all omitempty).
  return [...data.values()].map((d) => {
    const c: IpamConfig = { Subnet: d.Subnet };
    if (d.IPRange) c.IPRange = d.IPRange;
    if (d.Gateway) c.Gateway = d.Gateway;
    if (Object.keys(d.AuxiliaryAddresses).length > 0) c.AuxiliaryAddresses = d.AuxiliaryAddresses;
    return c;
  });
}
