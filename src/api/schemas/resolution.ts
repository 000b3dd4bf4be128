/** HostConfig's name-resolution fields (Links, ExtraHosts, Dns, DnsSearch, DnsOptions), checked as dockerd checks them. */
import net from 'node:net';
import { parseExtraHost } from '../../engine/etc-files.js';
import { parseLink } from '../../engine/links.js';
import type { ResolutionConfig } from '../../engine/records.js';
import { InvalidArgument } from '../../util/errors.js';

interface ResolutionFields {
  Links?: string[] | undefined;
  ExtraHosts?: string[] | undefined;
  Dns?: string[] | undefined;
  DnsSearch?: string[] | undefined;
  DnsOptions?: string[] | undefined;
}

export function decodeResolution(hc: ResolutionFields): ResolutionConfig {
  const links = hc.Links ?? [];
  for (const l of links) parseLink(l);
  const extraHosts = hc.ExtraHosts ?? [];
  for (const h of extraHosts) parseExtraHost(h);
  const dns = hc.Dns ?? [];
  for (const ip of dns) if (!net.isIP(ip)) throw new InvalidArgument(`IP address is not correctly formatted: ${ip}`);
  return { links, extraHosts, dns, dnsSearch: hc.DnsSearch ?? [], dnsOptions: hc.DnsOptions ?? [] };
}
