/**
 * `weft network ...`: create, ls, inspect, rm, connect, disconnect, prune — the docker CLI's
 * flags, request bodies (same keys, same order, as docker 28.2.2 sends them) and output.
 */
import net from 'node:net';
import { Command } from 'commander';
import { ApiError, encodeFilters, UsageError } from './client.js';
import { collect, Ctx, enc, ExitError, forEachTarget, keyValues } from './context.js';
import { goTimeString } from './humanize.js';
import { formatInspect, formatList, type ListSpec } from './table.js';

// ---------------------------------------------------------------------------------------
// IPAM consolidation (docker/cli network/create.go createIPAMConfig)

export interface IpamConfig {
  Subnet: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

function parseCidr(cidr: string): { ip: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const slash = cidr.indexOf('/');
  const ip = slash < 0 ? '' : cidr.slice(0, slash);
  const bits = slash < 0 ? '' : cidr.slice(slash + 1);
  const fam = net.isIP(ip);
  const prefix = /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (fam === 0 || Number.isNaN(prefix) || prefix > (fam === 4 ? 32 : 128)) {
    throw new UsageError(`invalid CIDR address: ${cidr}`);
  }
  return { ip, prefix, family: fam === 4 ? 'ipv4' : 'ipv6' };
}

/** Go's subnetMatches: is `data` (an address, or a CIDR whose address is used) inside `subnet`? */
export function subnetMatches(subnet: string, data: string): boolean {
  let s;
  try {
    s = parseCidr(subnet);
  } catch (err) {
    throw new UsageError(`invalid subnet: ${(err as Error).message}`);
  }
  let ip: string;
  if (data.includes('/')) ip = parseCidr(data).ip;
  else ip = data;
  const fam = net.isIP(ip);
  if (fam === 0 || (fam === 4) !== (s.family === 'ipv4')) return false;
  const list = new net.BlockList();
  list.addSubnet(s.ip, s.prefix, s.family);
  return list.check(ip, s.family);
}

/** Pair --gateway/--ip-range/--aux-address with their --subnet by containment, as docker does. */
export function consolidateIpam(
  subnets: string[], ranges: string[], gateways: string[], auxAddresses: Record<string, string>,
): IpamConfig[] {
  if (subnets.length < ranges.length || subnets.length < gateways.length) {
    throw new UsageError('every ip-range or gateway must have a corresponding subnet');
  }
  const data = new Map<string, IpamConfig & { AuxiliaryAddresses: Record<string, string> }>();
  for (const s of subnets) {
    for (const k of data.keys()) {
      if (subnetMatches(s, k) || subnetMatches(k, s)) {
        throw new UsageError('multiple overlapping subnet configuration is not supported');
      }
    }
    data.set(s, { Subnet: s, AuxiliaryAddresses: {} });
  }
  for (const r of ranges) {
    let match = false;
    for (const s of subnets) {
      if (!subnetMatches(s, r)) continue;
      const d = data.get(s)!;
      if (d.IPRange) throw new UsageError(`cannot configure multiple ranges (${r}, ${d.IPRange}) on the same subnet (${s})`);
      d.IPRange = r;
      match = true;
    }
    if (!match) throw new UsageError(`no matching subnet for range ${r}`);
  }
  for (const g of gateways) {
    let match = false;
    for (const s of subnets) {
      if (!subnetMatches(s, g)) continue;
      const d = data.get(s)!;
      if (d.Gateway) throw new UsageError(`cannot configure multiple gateways (${g}, ${d.Gateway}) for the same subnet (${s})`);
      d.Gateway = g;
      match = true;
    }
    if (!match) throw new UsageError(`no matching subnet for gateway ${g}`);
  }
  for (const [key, aa] of Object.entries(auxAddresses)) {
    let match = false;
    for (const s of subnets) {
      if (!subnetMatches(s, aa)) continue;
      data.get(s)!.AuxiliaryAddresses[key] = aa;
      match = true;
    }
    if (!match) throw new UsageError(`no matching subnet for aux-address ${aa}`);
  }
  // Field order and omission as Go's json encoding of network.IPAMConfig (all omitempty).
  return [...data.values()].map((d) => {
    const c: IpamConfig = { Subnet: d.Subnet };
    if (d.IPRange) c.IPRange = d.IPRange;
    if (d.Gateway) c.Gateway = d.Gateway;
    if (Object.keys(d.AuxiliaryAddresses).length > 0) c.AuxiliaryAddresses = d.AuxiliaryAddresses;
    return c;
  });
}

export interface NetworkCreateOptions {
  driver: string;
  subnet: string[];
  gateway: string[];
  ipRange: string[];
  auxAddress: string[];
  ipv4?: boolean;
  ipv6?: boolean;
  internal?: boolean;
  attachable?: boolean;
  ingress?: boolean;
  opt: string[];
  label: string[];
  ipamDriver: string;
  ipamOpt: string[];
  scope?: string;
  configOnly?: boolean;
  configFrom?: string;
}

/** The POST /networks/create body, key for key as docker 28.2.2 sends it. */
export function networkCreateBody(name: string, o: NetworkCreateOptions): Record<string, unknown> {
  const config = consolidateIpam(o.subnet, o.ipRange, o.gateway, keyValues(o.auxAddress));
  const body: Record<string, unknown> = { Driver: o.driver, Scope: o.scope ?? '' };
  if (o.ipv4 !== undefined) body.EnableIPv4 = o.ipv4;
  if (o.ipv6 !== undefined) body.EnableIPv6 = o.ipv6;
  body.IPAM = { Driver: o.ipamDriver, Options: keyValues(o.ipamOpt), Config: config };
  body.Internal = !!o.internal;
  body.Attachable = !!o.attachable;
  body.Ingress = !!o.ingress;
  body.ConfigOnly = !!o.configOnly;
  body.ConfigFrom = o.configFrom ? { Network: o.configFrom } : null;
  body.Options = keyValues(o.opt);
  body.Labels = keyValues(o.label);
  body.Name = name;
  return body;
}

const BOOL_FLAGS = ['--ipv4', '--ipv6', '--internal', '--attachable', '--ingress', '--config-only'];

/**
 * Docker (pflag) accepts `--ipv6=false`; commander's boolean options do not take a value.
 * Rewrite `--flag=true|false` into `--flag` / `--no-flag` for network create's booleans.
 */
export function normalizeBoolFlags(args: string[]): string[] {
  return args.map((a) => {
    const m = /^(--[a-z0-9-]+)=(true|false|1|0)$/i.exec(a);
    if (!m || !BOOL_FLAGS.includes(m[1]!)) return a;
    const on = m[2] === 'true' || m[2] === '1';
    return on ? m[1]! : `--no-${m[1]!.slice(2)}`;
  });
}

// ---------------------------------------------------------------------------------------
// Listing

export interface NetworkSummary {
  Name?: string;
  Id?: string;
  Created?: string;
  Scope?: string;
  Driver?: string;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  Internal?: boolean;
  Labels?: Record<string, string> | null;
}

/** sortorder.NaturalLess: digit runs compare as numbers. */
export function naturalCompare(a: string, b: string): number {
  const re = /(\d+|\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!, y = pb[i]!;
    const dx = /^\d/.test(x), dy = /^\d/.test(y);
    if (dx && dy) {
      const nx = BigInt(x), ny = BigInt(y);
      if (nx !== ny) return nx < ny ? -1 : 1;
      if (x.length !== y.length) return x.length - y.length;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return pa.length - pb.length;
}

export function labelsString(labels: Record<string, string> | null | undefined): string {
  return Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
}

/** The fields docker's network formatter exposes, keys sorted as its `json` output is. */
export function networkRow(n: NetworkSummary, trunc: boolean): Record<string, string> {
  const id = n.Id ?? '';
  return {
    CreatedAt: goTimeString(n.Created),
    Driver: n.Driver ?? '',
    ID: trunc ? id.slice(0, 12) : id,
    IPv4: String(n.EnableIPv4 === true),
    IPv6: String(n.EnableIPv6 === true),
    Internal: String(n.Internal === true),
    Labels: labelsString(n.Labels),
    Name: n.Name ?? '',
    Scope: n.Scope ?? '',
  };
}

export const NETWORK_LIST: ListSpec = {
  columns: [
    { field: 'ID', header: 'NETWORK ID' },
    { field: 'Name', header: 'NAME' },
    { field: 'Driver', header: 'DRIVER' },
    { field: 'Scope', header: 'SCOPE' },
  ],
  headers: { CreatedAt: 'CREATED AT', IPv4: 'IPV4', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS' },
  idField: 'ID',
};

// ---------------------------------------------------------------------------------------
// Prune confirmation

const PRUNE_WARNING = 'WARNING! This will remove all custom networks not used by at least one container.';

function readLine(stdin: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let buf = '';
    const done = (s: string) => {
      stdin.removeListener('data', onData);
      stdin.removeListener('end', onEnd);
      stdin.removeListener('error', onEnd);
      stdin.pause?.();
      resolve(s);
    };
    const onData = (chunk: Buffer | string) => {
      buf += chunk.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(buf.slice(0, nl));
    };
    const onEnd = () => done(buf);
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.on('error', onEnd);
    stdin.resume?.();
  });
}

// ---------------------------------------------------------------------------------------
// Commands

export function registerNetworkCommands(program: Command, ctx: Ctx): void {
  const network = program.command('network').description('Manage networks');

  network
    .command('create')
    .description('Create a network')
    .argument('<name>', 'network name')
    .option('-d, --driver <driver>', 'Driver to manage the Network', 'bridge')
    .option('--subnet <subnet>', 'Subnet in CIDR format that represents a network segment (repeatable)', collect, [])
    .option('--gateway <ip>', 'IPv4 or IPv6 Gateway for the master subnet (repeatable)', collect, [])
    .option('--ip-range <range>', 'Allocate container ip from a sub-range (repeatable)', collect, [])
    .option('--aux-address <name=ip>', 'Auxiliary IPv4 or IPv6 addresses used by Network driver (repeatable)', collect, [])
    .option('--ipv4', 'Enable or disable IPv4 address assignment')
    .option('--no-ipv4', 'Disable IPv4 address assignment (same as --ipv4=false)')
    .option('--ipv6', 'Enable or disable IPv6 address assignment')
    .option('--no-ipv6', 'Disable IPv6 address assignment (same as --ipv6=false)')
    .option('--internal', 'Restrict external access to the network')
    .option('--attachable', 'Enable manual container attachment')
    .option('--ingress', 'Create swarm routing-mesh network')
    .option('-o, --opt <key=value>', 'Set driver specific options (repeatable)', collect, [])
    .option('--label <key=value>', 'Set metadata on a network (repeatable)', collect, [])
    .option('--ipam-driver <driver>', 'IP Address Management Driver', 'default')
    .option('--ipam-opt <key=value>', 'Set IPAM driver specific options (repeatable)', collect, [])
    .option('--scope <scope>', "Control the network's scope")
    .option('--config-only', 'Create a configuration only network')
    .option('--config-from <network>', 'The network from which to copy the configuration')
    .action(async (name: string, o: NetworkCreateOptions) => {
      const body = networkCreateBody(name, o);
      const res = await ctx.client().post<{ Id?: string; Warning?: string }>('/networks/create', body);
      ctx.out(`${res?.Id ?? ''}\n`);
    });

  network
    .command('ls')
    .alias('list')
    .description('List networks')
    .option('-f, --filter <filter>', "Provide filter values (e.g. 'driver=bridge')", collect, [])
    .option('--format <format>', "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'")
    .option('-q, --quiet', 'Only display network IDs')
    .option('--no-trunc', 'Do not truncate the output')
    .action(async (o: { filter: string[]; format?: string; quiet?: boolean; trunc: boolean }) => {
      const filters = encodeFilters(o.filter);
      const list = (await ctx.client().get<NetworkSummary[]>('/networks', { filters })) ?? [];
      if (!Array.isArray(list)) throw new Error('Error reading JSON: expected an array of networks');
      const sorted = [...list].sort((a, b) => naturalCompare(a.Name ?? '', b.Name ?? ''));
      ctx.out(formatList(sorted.map((n) => networkRow(n, o.trunc)), NETWORK_LIST, o));
    });

  network
    .command('inspect')
    .description('Display detailed information on one or more networks')
    .argument('<network...>', 'network names or ids')
    .option('-f, --format <format>', "Format output using a custom template: 'json' or a Go template")
    .option('-v, --verbose', 'Verbose output for diagnostics')
    .action(async (names: string[], o: { format?: string; verbose?: boolean }) => {
      const found: unknown[] = [];
      const errors: unknown[] = [];
      for (const name of names) {
        try {
          found.push(await ctx.client().get(`/networks/${enc(name)}`, { verbose: o.verbose ? 'true' : undefined }));
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          errors.push(err);
        }
      }
      ctx.out(formatInspect(found, o.format));
      for (const e of errors) ctx.report(e);
    });

  network
    .command('rm')
    .alias('remove')
    .description('Remove one or more networks')
    .argument('<network...>', 'network names or ids')
    .option('-f, --force', 'Do not error if the network does not exist')
    .action(async (names: string[], o: { force?: boolean }) => {
      await forEachTarget(ctx, names, async (name) => {
        try {
          await ctx.client().delete(`/networks/${enc(name)}`);
          return true;
        } catch (err) {
          if (o.force && err instanceof ApiError && err.status === 404) return false;
          throw err;
        }
      }, (name, removed) => { if (removed) ctx.out(`${name}\n`); }, { sequential: true });
    });

  network
    .command('connect')
    .description('Connect a container to a network')
    .argument('<network>')
    .argument('<container>')
    .option('--ip <address>', 'IPv4 address (e.g., "172.30.100.104")')
    .option('--ip6 <address>', 'IPv6 address (e.g., "2001:db8::33")')
    .option('--alias <alias>', 'Add network-scoped alias for the container (repeatable)', collect, [])
    .option('--link <link>', 'Add link to another container (repeatable)', collect, [])
    .option('--link-local-ip <address>', 'Add a link-local address for the container (repeatable)', collect, [])
    .option('--driver-opt <key=value>', 'driver options for the network (repeatable)', collect, [])
    .option('--gw-priority <n>', 'Highest gw-priority provides the default gateway', '0')
    .action(async (netName: string, container: string, o: {
      ip?: string; ip6?: string; alias: string[]; link: string[]; linkLocalIp: string[]; driverOpt: string[]; gwPriority: string;
    }) => {
      const ipam: Record<string, unknown> = {};
      if (o.ip) ipam.IPv4Address = o.ip;
      if (o.ip6) ipam.IPv6Address = o.ip6;
      if (o.linkLocalIp.length) ipam.LinkLocalIPs = o.linkLocalIp;
      const gw = Number(o.gwPriority);
      if (!Number.isInteger(gw)) throw new UsageError(`invalid argument "${o.gwPriority}" for "--gw-priority" flag: must be an integer`);
      const body = {
        Container: container,
        EndpointConfig: {
          IPAMConfig: ipam,
          Links: o.link.length ? o.link : null,
          Aliases: o.alias,
          MacAddress: '',
          DriverOpts: keyValues(o.driverOpt),
          GwPriority: gw,
          NetworkID: '',
          EndpointID: '',
          Gateway: '',
          IPAddress: '',
          IPPrefixLen: 0,
          IPv6Gateway: '',
          GlobalIPv6Address: '',
          GlobalIPv6PrefixLen: 0,
          DNSNames: null,
        },
      };
      await ctx.client().post(`/networks/${enc(netName)}/connect`, body);
    });

  network
    .command('disconnect')
    .description('Disconnect a container from a network')
    .argument('<network>')
    .argument('<container>')
    .option('-f, --force', 'Force the container to disconnect from a network')
    .action(async (netName: string, container: string, o: { force?: boolean }) => {
      await ctx.client().post(`/networks/${enc(netName)}/disconnect`, { Container: container, Force: !!o.force });
    });

  network
    .command('prune')
    .description('Remove all unused networks')
    .option('-f, --force', 'Do not prompt for confirmation')
    .option('--filter <filter>', "Provide filter values (e.g. 'until=<timestamp>')", collect, [])
    .action(async (o: { force?: boolean; filter: string[] }) => {
      if (!o.force) {
        // Docker prompts on stdin. weft prompts only when stdin is a terminal: a script
        // (or a test harness holding stdin open) must say -f, rather than hang or guess.
        ctx.out(`${PRUNE_WARNING}\nAre you sure you want to continue? [y/N] `);
        if (!ctx.io.stdinIsTTY) {
          ctx.out('\n');
          ctx.err('network prune has been cancelled: stdin is not a terminal, use -f to prune without confirmation\n');
          throw new ExitError(1);
        }
        const answer = (await readLine(ctx.io.stdin)).trim().toLowerCase();
        if (answer !== 'y' && answer !== 'yes') return;
      }
      const filters = encodeFilters(o.filter);
      const res = await ctx.client().json<{ NetworksDeleted?: string[] | null }>('POST', '/networks/prune', { query: { filters } });
      const deleted = res?.NetworksDeleted ?? [];
      if (deleted.length > 0) ctx.out(`Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
    });
}
