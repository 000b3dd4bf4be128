/**
 * The network option `com.docker.network.host_ipv4`: outgoing IPv4 from the network is
 * SNATed to this host address instead of masqueraded, as dockerd does; refused in dockerd's
 * words when it is not an IPv4 address.
 */
import net from 'node:net';
import { InvalidArgument } from '../../src/util/errors.js';
import type { NetworkInfo } from '../../src/contracts/driver.js';
import { OPT_HOST_IPV4 } from '../../src/contracts/network-options.js';

export function parseHostIpv4(n: NetworkInfo): { hostIpv4?: string } {
  const v = n.options[OPT_HOST_IPV4];
  if (v === undefined || v === '') return {};
  if (!net.isIPv4(v)) throw new InvalidArgument(`failed to parse ${OPT_HOST_IPV4} value: ${v} (must be a valid IPv4 address)`);
  return { hostIpv4: v };
}
