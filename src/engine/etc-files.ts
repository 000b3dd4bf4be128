/**
 * A container's /etc/hosts, /etc/resolv.conf and /etc/hostname, kept in its state
 * directory and bind-mounted by the runtime. On a user-defined network resolv.conf names
 * the embedded resolver (Docker's 127.0.0.11), and the container's Dns servers become that
 * resolver's upstreams for it; on the default bridge they (or the host's) are written as is.
 * HostConfig.ExtraHosts and the default bridge's links are /etc/hosts lines, as dockerd
 * writes them; "host-gateway" is the daemon's host gateway address.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { RESOLVER_IP, type ServiceDiscovery } from './discovery.js';
import type { Controller } from '../controller/controller.js';
import { InvalidArgument } from '../util/errors.js';
import { splitCidr } from '../util/ip.js';
import { legacyNameservers } from './legacy-resolvers.js';
import { type LegacyLink, linkHostLines } from './links.js';
import type { ContainerRecord, ResolutionConfig } from './records.js';

const HOST_GATEWAY = 'host-gateway';
const NOTHING: ResolutionConfig = { links: [], extraHosts: [], dns: [], dnsSearch: [], dnsOptions: [] };

/** "host:ip" or "host=ip" (ip may be IPv6, bracketed or not, or "host-gateway"). */
export function parseExtraHost(entry: string): { host: string; ip: string } {
  const sep = entry.search(/[:=]/);
  const host = sep > 0 ? entry.slice(0, sep) : '';
  const ip = sep > 0 ? entry.slice(sep + 1).replace(/^\[(.*)\]$/, '$1') : '';
  if (!host || (ip !== HOST_GATEWAY && !net.isIP(ip))) throw new InvalidArgument(`invalid IP address in add-host: "${entry}"`);
  return { host, ip };
}

const BASE_HOSTS = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix', 'ff02::1\tip6-allnodes', 'ff02::2\tip6-allrouters'];

/** Where the three files of a container live, given its state directory. */
export function etcFilePaths(dir: string): { hosts: string; resolvConf: string; hostname: string } {
  return { hosts: path.join(dir, 'hosts'), resolvConf: path.join(dir, 'resolv.conf'), hostname: path.join(dir, 'hostname') };
}

export class EtcFiles {
  /** hostGatewayIp: the daemon's --host-gateway-ip; absent: the default bridge's gateway. */
  constructor(private readonly controller: Controller, private readonly dns?: ServiceDiscovery, private readonly hostGatewayIp?: string) {}

  /**
   * Write the files for the container's current endpoints, and attach it to the embedded
   * DNS when it wants it. deferNetSetup: a start not yet running the process takes the
   * resolver's in-namespace setup as a script instead. links: the default bridge's links.
   */
  async write(c: ContainerRecord, dir: string, deferNetSetup?: (script: string) => void, links: LegacyLink[] = []): Promise<void> {
    const files = etcFilePaths(dir);
    const r = c.resolution ?? NOTHING;
    const lines = [...BASE_HOSTS, ...r.extraHosts.map((e) => this.extraHostLine(e)), ...linkHostLines(links)];
    // dockerd's record: the hostname, and its first label too when it is a FQDN.
    const names = c.hostname.includes('.') ? `${c.hostname} ${c.hostname.split('.')[0]}` : c.hostname;
    for (const ep of this.controller.sandboxEndpoints(c.id)) {
      if (ep.ipv4) lines.push(`${splitCidr(ep.ipv4).ip}\t${names}`);
      if (ep.ipv6) lines.push(`${splitCidr(ep.ipv6).ip}\t${names}`);
    }
    writeInPlace(files.hosts, `${lines.join('\n')}\n`);
    writeInPlace(files.hostname, `${c.hostname}\n`);
    const dns = this.dns;
    const sb = this.controller.getSandbox(c.id);
    const attach = { upstreams: r.dns, ...(deferNetSetup ? { defer: deferNetSetup } : {}) };
    if (dns && dns.wants(c.id) && (await dns.attach(c.id, sb?.nsPath, attach))) {
      writeInPlace(files.resolvConf, embeddedResolvConf(r));
    } else {
      await dns?.detach(c.id);
      const ipv6 = this.controller.sandboxEndpoints(c.id).some((ep) => ep.ipv6);
      writeInPlace(files.resolvConf, directResolvConf(r, c.networkMode === 'host' ? undefined : ipv6));
    }
  }

  private extraHostLine(entry: string): string {
    const { host, ip } = parseExtraHost(entry);
    return `${ip === HOST_GATEWAY ? this.hostGateway() : ip}\t${host}`;
  }

  private hostGateway(): string {
    if (this.hostGatewayIp) return this.hostGatewayIp;
    const gw = this.controller.findNetwork('bridge').ipv4.find((p) => p.gateway)?.gateway;
    if (!gw) throw new InvalidArgument('unable to derive the IP value for host-gateway');
    return splitCidr(gw).ip;
  }
}

/**
 * Rewrites keep the inode: the file is bind-mounted into a running container, and a
 * rename would leave the container looking at the old one.
 */
function writeInPlace(file: string, content: string): void {
  fs.writeFileSync(file, content);
}

/** The host's resolv.conf lines, split by kind. */
function hostResolv(): { nameservers: string[]; search: string[]; options: string[] } {
  let text = '';
  try {
    text = fs.readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    // no host resolv.conf: nothing to copy
  }
  const lines = text.split('\n').map((l) => l.trim().split(/\s+/));
  const values = (key: string) => lines.filter((words) => words[0] === key).flatMap((words) => words.slice(1));
  return {
    nameservers: values('nameserver'),
    search: [...values('domain'), ...values('search')],
    options: values('options'),
  };
}

function resolvConf(header: string, nameservers: string[], search: string[], options: string[]): string {
  return [header, ...nameservers.map((ns) => `nameserver ${ns}`), ...(search.length ? [`search ${search.join(' ')}`] : []),
    ...(options.length ? [`options ${options.join(' ')}`] : []), ''].join('\n');
}

/** The embedded resolver, with the container's (or else the host's) search domains and options, and ndots:0 unless given. */
function embeddedResolvConf(r: ResolutionConfig): string {
  const host = hostResolv();
  const options = r.dnsOptions.length ? [...r.dnsOptions] : host.options.filter((o) => !o.startsWith('ndots:'));
  if (!options.some((o) => o.startsWith('ndots:'))) options.push('ndots:0');
  return resolvConf('# Generated by weft: the embedded DNS server answers container names and forwards the rest.',
    [RESOLVER_IP], r.dnsSearch.length ? r.dnsSearch : host.search, options);
}

/**
 * The container's Dns, DnsSearch and DnsOptions, each the host's where not given. ipv6:
 * whether the container has IPv6 in a namespace of its own (legacy-resolvers.ts picks the
 * host's usable nameservers); undefined: the host's namespace, where all of them work.
 */
function directResolvConf(r: ResolutionConfig, ipv6: boolean | undefined): string {
  const host = hostResolv();
  const hostNameservers = ipv6 === undefined ? host.nameservers : legacyNameservers(host.nameservers, ipv6);
  return resolvConf('# Generated by weft from the container\'s DNS settings and the host\'s resolv.conf.',
    r.dns.length ? r.dns : hostNameservers, r.dnsSearch.length ? r.dnsSearch : host.search,
    r.dnsOptions.length ? r.dnsOptions : host.options);
}
