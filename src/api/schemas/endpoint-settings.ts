/** EndpointSettings (a container's per-network config), as create and connect send it. */
import net from 'node:net';
import type { EndpointConfig } from '../../engine/containers.js';
import { endpointSysctlErrors, OPT_ENDPOINT_SYSCTLS } from '../../util/endpoint-sysctls.js';
import { InvalidArgument } from '../../util/errors.js';
import { int, objOf, str, strArray, strMap } from './fields.js';

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
    GwPriority: int(`${where}.GwPriority`),
  }).transform((o): EndpointConfig => ({
    ipv4: o?.IPAMConfig?.IPv4Address || undefined,
    ipv6: o?.IPAMConfig?.IPv6Address || undefined,
    aliases: o?.Aliases ?? [],
    ...(o?.Links?.length ? { links: o.Links } : {}),
    ...(o?.MacAddress ? { macAddress: o.MacAddress } : {}),
    ...(o?.IPAMConfig?.LinkLocalIPs?.length ? { linkLocalIps: o.IPAMConfig.LinkLocalIPs } : {}),
    ...(o?.DriverOpts && Object.keys(o.DriverOpts).length ? { driverOpts: o.DriverOpts } : {}),
    ...(o?.GwPriority ? { gwPriority: o.GwPriority } : {}),
  }));
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** The predefined networks (and "default"), where dockerd on Linux takes neither addresses nor aliases. */
const BUILTIN = new Set(['default', 'bridge', 'host', 'none']);

/**
 * dockerd's validateEndpointSettings: every problem of one network's settings in one message,
 * "invalid endpoint settings:" then one line each. `network` (its name) adds the rules of the
 * predefined networks; `onCreate` prefixes the message as container create words it.
 */
export function checkEndpointAddresses(ep: EndpointConfig, network?: string, onCreate = false): void {
  const { ipv4, ipv6 } = ep;
  const errs: string[] = [];
  if (network !== undefined && BUILTIN.has(network)) {
    if (ipv4 || ipv6) errs.push('user-specified IP address is supported on user-defined networks only');
    if (ep.aliases?.length) errs.push('network-scoped aliases are only supported for user-defined networks');
  }
  if (ipv4 && (!net.isIPv4(ipv4) || ipv4 === '0.0.0.0')) errs.push(`invalid IPv4 address: ${ipv4}`);
  // An IPv4-mapped address is an IPv4 address in IPv6 clothing: not one a container can have.
  if (ipv6 && (!net.isIPv6(ipv6) || /^[:0]+$/.test(ipv6) || /^[:0]*:ffff:[\d.]+$|^[:0]*:ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/i.test(ipv6))) {
    errs.push(`invalid IPv6 address: ${ipv6}`);
  }
  for (const ll of ep.linkLocalIps ?? []) if (!net.isIP(ll)) errs.push(`invalid link-local IP address: ${ll}`);
  const sysctls = ep.driverOpts?.[OPT_ENDPOINT_SYSCTLS];
  if (sysctls !== undefined) errs.push(...endpointSysctlErrors(sysctls));
  if (errs.length) {
    const msg = `invalid endpoint settings:\n${errs.join('\n')}`;
    throw new InvalidArgument(onCreate ? `invalid config for network ${network}: ${msg}` : msg);
  }
  if (ep.macAddress) checkMac(ep.macAddress);
}

/** A unicast Ethernet address, as the kernel takes it for an interface. */
export function checkMac(mac: string): void {
  if (!MAC.test(mac)) throw new InvalidArgument(`invalid MAC address: ${mac}`);
  if (Number.parseInt(mac.slice(0, 2), 16) & 1) throw new InvalidArgument(`invalid MAC address: ${mac}: a multicast address`);
}
