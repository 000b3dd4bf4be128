/**
 * The EndpointSettings object run/create and network connect send: the IPAM request,
 * links, aliases, driver options and gateway priority the flags set, then the zero values
 * of the fields only the daemon fills (docker's CLI sends them all).
 */

/** The IPAMConfig fields the flags set (none when no flag was given). */
export function ipamRequest(ipv4: string | undefined, ipv6: string | undefined, linkLocalIps: string[]): Record<string, unknown> {
  const ipam: Record<string, unknown> = {};
  if (ipv4) ipam.IPv4Address = ipv4;
  if (ipv6) ipam.IPv6Address = ipv6;
  if (linkLocalIps.length) ipam.LinkLocalIPs = linkLocalIps;
  return ipam;
}

export interface EndpointRequest {
  ipam: Record<string, unknown> | null;
  links: string[] | null;
  aliases: string[] | null;
  driverOpts: Record<string, string> | null;
  gwPriority: number;
}

export function endpointSettings(r: EndpointRequest): Record<string, unknown> {
  return {
    IPAMConfig: r.ipam,
    Links: r.links,
    Aliases: r.aliases,
    MacAddress: '',
    DriverOpts: r.driverOpts,
    GwPriority: r.gwPriority,
    NetworkID: '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}
