/** EndpointSettings (a container's per-network config), as create and connect send it. */
import net from 'node:net';
import type { EndpointConfig } from '../../engine/containers.js';
import { InvalidArgument } from '../../util/errors.js';
import { objOf, str, strArray, strMap } from './fields.js';

/** `where` names the settings in messages: "EndpointSettings" (create) or "EndpointConfig" (connect). */
export function endpointSettings(where: string) {
  return objOf(where, {
    IPAMConfig: objOf(`${where}.IPAMConfig`, {
      IPv4Address: str('IPAMConfig.IPv4Address'),
      IPv6Address: str('IPAMConfig.IPv6Address'),
      LinkLocalIPs: strArray('IPAMConfig.LinkLocalIPs'),
    }),
    Links: strArray(`${where}.Links`),
    Aliases: strArray(`${where}.Aliases`),
    MacAddress: str(`${where}.MacAddress`),
    DriverOpts: strMap(`${where}.DriverOpts`),
  }).transform((o): EndpointConfig => ({
    ipv4: o?.IPAMConfig?.IPv4Address || undefined,
    ipv6: o?.IPAMConfig?.IPv6Address || undefined,
    aliases: o?.Aliases ?? [],
    ...(o?.Links?.length ? { links: o.Links } : {}),
    ...(o?.MacAddress ? { macAddress: o.MacAddress } : {}),
    ...(o?.IPAMConfig?.LinkLocalIPs?.length ? { linkLocalIps: o.IPAMConfig.LinkLocalIPs } : {}),
    ...(o?.DriverOpts && Object.keys(o.DriverOpts).length ? { driverOpts: o.DriverOpts } : {}),
  }));
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** dockerd's EndpointIPAMConfig.Validate wording. */
export function checkEndpointAddresses(ep: EndpointConfig): void {
  const { ipv4, ipv6 } = ep;
  if (ipv4 && (!net.isIPv4(ipv4) || ipv4 === '0.0.0.0')) throw new InvalidArgument(`invalid IPv4 address: ${ipv4}`);
  if (ipv6 && (!net.isIPv6(ipv6) || /^[:0]+$/.test(ipv6))) throw new InvalidArgument(`invalid IPv6 address: ${ipv6}`);
  for (const ll of ep.linkLocalIps ?? []) if (!net.isIP(ll)) throw new InvalidArgument(`invalid link-local IP address: ${ll}`);
  if (ep.macAddress) checkMac(ep.macAddress);
}

/** A unicast Ethernet address, as the kernel takes it for an interface. */
export function checkMac(mac: string): void {
  if (!MAC.test(mac)) throw new InvalidArgument(`invalid MAC address: ${mac}`);
  if (Number.parseInt(mac.slice(0, 2), 16) & 1) throw new InvalidArgument(`invalid MAC address: ${mac}: a multicast address`);
}
