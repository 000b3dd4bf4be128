/** EndpointSettings (a container's per-network config), as create and connect send it. */
import net from 'node:net';
import type { EndpointConfig } from '../../engine/containers.js';
import { InvalidArgument } from '../../util/errors.js';
import { objOf, str, strArray } from './fields.js';

/** `where` names the settings in messages: "EndpointSettings" (create) or "EndpointConfig" (connect). */
export function endpointSettings(where: string) {
  return objOf(where, {
    IPAMConfig: objOf(`${where}.IPAMConfig`, {
      IPv4Address: str('IPAMConfig.IPv4Address'),
      IPv6Address: str('IPAMConfig.IPv6Address'),
    }),
    Aliases: strArray(`${where}.Aliases`),
  }).transform((o): EndpointConfig => ({
    ipv4: o?.IPAMConfig?.IPv4Address || undefined,
    ipv6: o?.IPAMConfig?.IPv6Address || undefined,
    aliases: o?.Aliases ?? [],
  }));
}

/** dockerd's EndpointIPAMConfig.Validate wording. */
export function checkEndpointAddresses(ep: EndpointConfig): void {
  const { ipv4, ipv6 } = ep;
  if (ipv4 && (!net.isIPv4(ipv4) || ipv4 === '0.0.0.0')) throw new InvalidArgument(`invalid IPv4 address: ${ipv4}`);
  if (ipv6 && (!net.isIPv6(ipv6) || /^[:0]+$/.test(ipv6))) throw new InvalidArgument(`invalid IPv6 address: ${ipv6}`);
}
