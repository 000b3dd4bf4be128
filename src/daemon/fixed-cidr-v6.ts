/**
 * dockerd's --ipv6 and --fixed-cidr-v6: the default bridge's IPv6 pool, its first address the
 * gateway. The subnet is checked as dockerd's ValidateFixedCIDRV6 does (even without --ipv6,
 * when dockerd ignores it), with its words. --ipv6 alone leaves the subnet to the default
 * address pools, as dockerd 27+ does (its pools then hold a ULA /48 derived from the host).
 */
import net from 'node:net';
import { bigIntToIp, canonicalCidr, subnetOf, subnetsOverlap } from '../util/ip.js';

const LINK_LOCAL = subnetOf('fe80::/64');
const MULTICAST = subnetOf('ff00::/8');

function checkedSubnet(v: string): string {
  const [ip, len, extra] = v.split('/');
  const fail = (why: string) => new Error(`invalid fixed-cidr-v6: ${why}`);
  if (!net.isIPv6(ip ?? '') || ip!.includes('.') || !/^\d+$/.test(len ?? '') || Number(len) > 128 || extra !== undefined) {
    throw fail(`'${v}' is not a valid IPv6 subnet`);
  }
  const s = subnetOf(v);
  if (subnetsOverlap(s, MULTICAST)) throw fail(`multicast subnet '${v}' is not allowed`);
  if (s.cidr !== LINK_LOCAL.cidr && subnetsOverlap(s, LINK_LOCAL)) throw fail(`'${v}' clashes with the Link-Local prefix 'fe80::/64'`);
  return canonicalCidr(v);
}

/** The default bridge's IPv6 pool ({} without --fixed-cidr-v6: picked from the pools); undefined when --ipv6 is not given. */
export function defaultBridgeIpv6(f: { ipv6?: boolean; fixedCidrV6?: string }): { subnet?: string; gateway?: string } | undefined {
  const subnet = f.fixedCidrV6 === undefined ? undefined : checkedSubnet(f.fixedCidrV6);
  if (!f.ipv6) return undefined;
  return subnet ? { subnet, gateway: bigIntToIp(subnetOf(subnet).first + 1n, true) } : {};
}
