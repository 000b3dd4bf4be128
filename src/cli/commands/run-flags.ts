/**
 * The flags run and create share, and what they turn into: docker's --network parsing
 * (parseNetworkOpts), -e resolution and --restart policies.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../client.js';
import { collect } from '../context.js';
import { endpointSettings, ipamRequest } from './endpoint-settings.js';

export interface RunOptions {
  detach?: boolean;
  rm?: boolean;
  name?: string;
  network: string[];
  ip?: string;
  ip6?: string;
  networkAlias: string[];
  publish: string[];
  publishAll?: boolean;
  expose: string[];
  env: string[];
  workdir?: string;
  hostname?: string;
  rootfs?: string;
  label: string[];
  entrypoint?: string;
  user?: string;
  restart?: string;
}

interface Attachment {
  target: string;
  aliases: string[];
  ipv4?: string;
  ipv6?: string;
  linkLocalIps: string[];
  driverOpts: Record<string, string>;
}

/** `--network net1` or the advanced `--network name=net1,alias=a,ip=...,ip6=...`. */
export function parseNetworkFlag(value: string): Attachment {
  const a: Attachment = { target: value, aliases: [], linkLocalIps: [], driverOpts: {} };
  if (!value.includes('=')) return a;
  a.target = '';
  for (const field of value.split(',')) {
    const eq = field.indexOf('=');
    if (eq < 0) throw new UsageError(`invalid field '${field}' must be a key=value pair`);
    const k = field.slice(0, eq).trim().toLowerCase();
    const v = field.slice(eq + 1).trim();
    switch (k) {
      case 'name': a.target = v; break;
      case 'alias': a.aliases.push(v); break;
      case 'ip': a.ipv4 = v; break;
      case 'ip6': a.ipv6 = v; break;
      case 'link-local-ip': a.linkLocalIps.push(v); break;
      case 'driver-opt': {
        const e = v.indexOf('=');
        a.driverOpts[e < 0 ? v : v.slice(0, e)] = e < 0 ? '' : v.slice(e + 1);
        break;
      }
      default: throw new UsageError(`invalid field key ${k}`);
    }
  }
  if (!a.target) throw new UsageError(`network name is required in --network ${value}`);
  return a;
}

const isUserDefined = (mode: string) =>
  !['default', 'bridge', 'host', 'none'].includes(mode) && !mode.startsWith('container:');

/** EndpointSettings for one --network: unset options are null, as docker's zero values encode. */
function attachmentSettings(a: Attachment): Record<string, unknown> {
  const ipam = ipamRequest(a.ipv4, a.ipv6, a.linkLocalIps);
  return endpointSettings({
    ipam: Object.keys(ipam).length ? ipam : null,
    links: null,
    aliases: a.aliases.length ? a.aliases : null,
    driverOpts: Object.keys(a.driverOpts).length ? a.driverOpts : null,
    gwPriority: 0,
  });
}

const isZeroAttachment = (a: Attachment) =>
  !a.ipv4 && !a.ipv6 && a.aliases.length === 0 && a.linkLocalIps.length === 0 && Object.keys(a.driverOpts).length === 0;

/**
 * HostConfig.NetworkMode and NetworkingConfig.EndpointsConfig exactly as docker's
 * parseNetworkOpts builds them:
 *  - no --network: NetworkMode "default" and an EndpointsConfig entry "default" (the
 *    daemon reads "default" as "bridge");
 *  - the first --network is NetworkMode; the legacy --ip/--ip6/--network-alias apply to it;
 *  - every network gets an entry, except a single network with no endpoint options
 *    (then EndpointsConfig is {} and the daemon attaches NetworkMode itself).
 */
export function networkConfig(o: Pick<RunOptions, 'network' | 'ip' | 'ip6' | 'networkAlias'>): {
  networkMode: string; endpoints: Record<string, Record<string, unknown>>;
} {
  const attachments = o.network.map(parseNetworkFlag);
  const implicit = attachments.length === 0;
  if (implicit) attachments.push({ target: 'default', aliases: [], linkLocalIps: [], driverOpts: {} });
  const first = attachments[0]!;
  if (o.networkAlias.length && first.aliases.length) {
    throw new UsageError('conflicting options: cannot specify both --network-alias and per-network alias');
  }
  if (o.ip && first.ipv4) throw new UsageError('conflicting options: cannot specify both --ip and per-network IPv4 address');
  if (o.ip6 && first.ipv6) throw new UsageError('conflicting options: cannot specify both --ip6 and per-network IPv6 address');
  if (o.ip) first.ipv4 = o.ip;
  if (o.ip6) first.ipv6 = o.ip6;
  first.aliases.push(...o.networkAlias);

  const endpoints: Record<string, Record<string, unknown>> = {};
  let userDefined = false, nonUserDefined = false;
  attachments.forEach((a, i) => {
    if (!implicit) {
      if (isUserDefined(a.target)) userDefined = true; else nonUserDefined = true;
    }
    if (a.aliases.length && !isUserDefined(a.target)) {
      throw new UsageError('network-scoped aliases are only supported for user-defined networks');
    }
    if (endpoints[a.target]) throw new UsageError(`network "${a.target}" is specified multiple times`);
    if (!implicit && i === 0 && attachments.length === 1 && isZeroAttachment(a)) return;
    endpoints[a.target] = attachmentSettings(a);
  });
  if (userDefined && nonUserDefined) {
    throw new UsageError('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
  }
  return { networkMode: first.target, endpoints };
}

/** `-e K=V` as is; `-e K` takes K from the client's environment when set (docker's ValidateEnv). */
export function resolveEnv(list: string[], env: Record<string, string | undefined>): string[] {
  return list.map((item) => {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    if (key === '') throw new UsageError(`invalid environment variable: ${item}`);
    if (eq >= 0) return item;
    const v = env[key];
    return v === undefined ? item : `${key}=${v}`;
  });
}

export function restartPolicy(spec: string | undefined): { Name: string; MaximumRetryCount: number } {
  if (!spec) return { Name: 'no', MaximumRetryCount: 0 };
  const [name, count] = spec.split(':', 2) as [string, string | undefined];
  if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(name)) {
    throw new UsageError(`invalid restart policy '${name}'`);
  }
  if (count !== undefined && (name !== 'on-failure' || !/^\d+$/.test(count))) {
    throw new UsageError(`invalid restart policy format: ${spec}`);
  }
  return { Name: name, MaximumRetryCount: count ? Number(count) : 0 };
}

/**
 * Split the positional words into IMAGE and CMD. With --rootfs DIR the image is the
 * absolute DIR (weft's convention) and every word is CMD.
 */
export function imageAndCmd(args: string[], rootfs: string | undefined, cwd: string): { image: string; cmd: string[] } {
  if (rootfs) return { image: path.resolve(cwd, rootfs), cmd: args };
  if (args.length === 0) throw new UsageError('requires at least 1 argument (IMAGE, or --rootfs DIR)');
  return { image: args[0]!, cmd: args.slice(1) };
}

export function addRunOptions(cmd: Command): Command {
  return cmd
    // -h is --hostname, as in docker; help is --help only.
    .helpOption('--help', 'Print usage')
    .option('--name <name>', 'Assign a name to the container')
    .option('--network <network>', 'Connect a container to a network (repeatable; name=N,alias=A,ip=IP,ip6=IP form accepted)', collect, [])
    .option('--net <network>', 'Alias of --network', collect, [])
    .option('--ip <address>', 'IPv4 address (e.g., 172.30.100.104)')
    .option('--ip6 <address>', 'IPv6 address (e.g., 2001:db8::33)')
    .option('--network-alias <alias>', 'Add network-scoped alias for the container (repeatable)', collect, [])
    .option('--net-alias <alias>', 'Alias of --network-alias', collect, [])
    .option('-p, --publish <spec>', "Publish a container's port(s) to the host (repeatable)", collect, [])
    .option('-P, --publish-all', 'Publish all exposed ports to random ports')
    .option('--expose <port>', 'Expose a port or a range of ports (repeatable)', collect, [])
    .option('-e, --env <KEY=VALUE>', 'Set environment variables (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'Working directory inside the container')
    .option('-h, --hostname <name>', 'Container host name')
    .option('-u, --user <user>', 'Username or UID')
    .option('-l, --label <key=value>', 'Set meta data on a container (repeatable)', collect, [])
    .option('--entrypoint <cmd>', 'Overwrite the default ENTRYPOINT of the image')
    .option('--restart <policy>', 'Restart policy to apply when a container exits', undefined)
    .option('--rm', 'Automatically remove the container and its associated anonymous volumes when it exits')
    .option('--rootfs <dir>', "weft: use this directory as the container's root filesystem (then IMAGE is omitted)")
    .argument('[image-and-command...]', 'IMAGE [COMMAND] [ARG...] (COMMAND [ARG...] with --rootfs)')
    .passThroughOptions();
}

export function mergeAliases(o: RunOptions & { net: string[]; netAlias: string[] }): RunOptions {
  return { ...o, network: [...o.network, ...o.net], networkAlias: [...o.networkAlias, ...o.netAlias] };
}
