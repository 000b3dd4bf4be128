/** `weft port`: a container's published ports, sorted as docker sorts them. */
import type { Command } from 'commander';
import { UsageError } from '../client.js';
import { type Ctx, enc } from '../context.js';
import { joinHostPort } from '../format/humanize.js';
import { naturalCompare } from '../format/natural-sort.js';
import type { PortBinding } from '../ports.js';

export function registerPort(parent: Command, ctx: Ctx): void {
  parent
    .command('port')
    .description('List port mappings or a specific mapping for the container')
    .argument('<container>')
    .argument('[private-port]', 'PRIVATE_PORT[/PROTO]')
    .action(async (name: string, privatePort: string | undefined) => {
      const info = await ctx.client().get<{ NetworkSettings?: { Ports?: Record<string, PortBinding[] | null> | null } }>(
        `/containers/${enc(name)}/json`);
      const ports = info?.NetworkSettings?.Ports ?? {};
      const hostPort = (b: PortBinding) => joinHostPort(b.HostIp, b.HostPort);
      const out: string[] = [];
      if (privatePort !== undefined) {
        const [port, proto = 'tcp'] = privatePort.split('/', 2) as [string, string | undefined];
        if (!/^\d+$/.test(port) || Number(port) > 65535) throw new UsageError(`Error: invalid port (${port})`);
        const frontends = ports[`${port}/${proto || 'tcp'}`];
        if (!frontends || frontends.length === 0) {
          throw new UsageError(`Error: No public port '${privatePort}' published for ${name}`);
        }
        for (const f of frontends) out.push(hostPort(f));
      } else {
        for (const [from, frontends] of Object.entries(ports)) {
          for (const f of frontends ?? []) out.push(`${from} -> ${hostPort(f)}`);
        }
      }
      out.sort(naturalCompare);
      if (out.length) ctx.out(`${out.join('\n')}\n`);
    });
}
