/** `weft network create`: the body docker 28.2.2 sends, key for key. */
import type { Command } from 'commander';
import { collect, type Ctx, keyValues } from '../context.js';
import { consolidateIpam } from './network-ipam.js';

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

export function registerNetworkCreate(network: Command, ctx: Ctx): void {
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
}
