/**
 * A subnet asked for by size only (`--subnet 0.0.0.0/24`, `::/64`: the unspecified address
 * with a prefix length): the first free subnet of that size inside the default pools.
 */
import type { Subnet } from '../../src/util/ip.js';
import { bigIntToIp, subnetsOverlap } from '../../src/util/ip.js';
import { parseSubnet } from './addresses.js';

/** Whether a pool request names only a prefix length. */
export function isSizeOnly(s: Subnet): boolean {
  return s.first === 0n && s.prefix > 0;
}

/**
 * Walks each default pool in steps of the wanted size, jumping past whatever overlaps, so
 * the cost follows the number of subnets in the way, not the size of the pool.
 */
export function pickSized(pools: string[], v6: boolean, prefix: number, inTheWay: Subnet[]): Subnet | undefined {
  const width = v6 ? 128 : 32;
  const size = 1n << BigInt(width - prefix);
  for (const c of pools) {
    const base = parseSubnet(c);
    if (base.prefix > prefix) continue;
    let first = base.first;
    while (first + size - 1n <= base.last) {
      const candidate = parseSubnet(`${bigIntToIp(first, v6)}/${prefix}`);
      const hit = inTheWay.find((t) => subnetsOverlap(t, candidate));
      if (!hit) return candidate;
      first = ((hit.last + 1n + size - 1n) / size) * size;
    }
  }
  return undefined;
}

