/**
 * The network options `com.docker.network.host_ipv4` and `host_ipv6`: outgoing traffic of
 * that family is SNATed to this host address instead of masqueraded, as dockerd does. A value
 * that is no IP address is refused in dockerd's words; one of the other family is refused
 * too (dockerd accepts it and then fails to program the rule).
 */
import net from 'node:net';
import { InvalidArgument } from '../../src/util/errors.js';
import type { NetworkInfo } from '../../src/contracts/driver.js';
import { OPT_HOST_IPV4, OPT_HOST_IPV6 } from '../../src/contracts/network-options.js';

function hostAddress(n: NetworkInfo, key: string, family: 4 | 6): string | undefined {
  const v = n.options[key];
  if (v === undefined || v === '') return undefined;
  const found = net.isIP(v);
  if (!found) throw new InvalidArgument(`failed to parse ${key} value: ${v} (nil ip)`);
  if (found !== family) throw new InvalidArgument(`failed to parse ${key} value: ${v} (must be a valid IPv${family} address)`);
  return v;
}

export function parseHostSnat(n: NetworkInfo): { hostIpv4?: string; hostIpv6?: string } {
  const v4 = hostAddress(n, OPT_HOST_IPV4, 4);
  const v6 = hostAddress(n, OPT_HOST_IPV6, 6);
  return { ...(v4 ? { hostIpv4: v4 } : {}), ...(v6 ? { hostIpv6: v6 } : {}) };
}
