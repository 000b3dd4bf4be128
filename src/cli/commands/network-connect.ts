/** `weft network connect` and `disconnect`. */
import type { Command } from 'commander';
import { UsageError } from '../client.js';
import { collect, type Ctx, enc, keyValues } from '../context.js';
import { endpointSettings, ipamRequest } from './endpoint-settings.js';

export function registerNetworkConnect(network: Command, ctx: Ctx): void {
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
      const gw = Number(o.gwPriority);
      if (!Number.isInteger(gw)) throw new UsageError(`invalid argument "${o.gwPriority}" for "--gw-priority" flag: must be an integer`);
      const body = {
        Container: container,
        EndpointConfig: endpointSettings({
          ipam: ipamRequest(o.ip, o.ip6, o.linkLocalIp),
          links: o.link.length ? o.link : null,
          aliases: o.alias,
          driverOpts: keyValues(o.driverOpt),
          gwPriority: gw,
        }),
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
}
