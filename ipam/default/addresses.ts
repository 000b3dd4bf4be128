/**
 * IPAM's reading of subnets and addresses, on the bigint arithmetic of src/util/ip.ts:
 * strict subnet syntax and which addresses of a subnet endpoints may get.
 */
import net from 'node:net';
import { ipToBigInt, type Subnet, subnetOf } from '../../src/util/ip.js';

export type { Subnet } from '../../src/util/ip.js';

/**
 * Parse a CIDR. Host bits must be zero ("10.1.0.5/24" is refused with the subnet it
 * probably meant): silently widening a typo into a different network surprises people.
 */
export function parseSubnet(cidr: string): Subnet {
  const [ip, len, extra] = cidr.split('/');
  const bits = net.isIPv6(ip) ? 128 : 32;
  if (!net.isIP(ip) || len === undefined || extra !== undefined || !/^\d+$/.test(len) || Number(len) > bits) {
    throw new Error(`invalid subnet ${cidr}`);
  }
  const subnet = subnetOf(cidr);
  if (subnet.first !== ipToBigInt(ip)) throw new Error(`invalid subnet ${cidr}: host bits are set (did you mean ${subnet.cidr}?)`);
  return subnet;
}

/** A route destination as a subnet, tolerating host bits; undefined when unreadable. */
export function lenientSubnet(cidr: string): Subnet | undefined {
  try {
    return subnetOf(cidr);
  } catch {
    return undefined;
  }
}

/**
 * The addresses endpoints may get: not the network address, and on IPv4 not the
 * broadcast address (a /31 or /32 has neither, RFC 3021).
 */
export function usable(s: Subnet): { lo: bigint; hi: bigint } {
  if (!s.v6 && s.prefix >= 31) return { lo: s.first, hi: s.last };
  return { lo: s.first + 1n, hi: s.v6 ? s.last : s.last - 1n };
}
