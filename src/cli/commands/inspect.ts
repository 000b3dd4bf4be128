/**
 * `weft inspect`: any object, containers first, then networks (like docker's inspect),
 * and `weft firewall reload`.
 */
import type { Command } from 'commander';
import { ApiError, UsageError } from '../client.js';
import { type Ctx, enc } from '../context.js';
import { formatInspect } from '../format/list.js';

export function registerInspect(program: Command, ctx: Ctx): void {
  program
    .command('inspect')
    .description('Return low-level information on weft objects (containers, then networks)')
    .argument('<name...>', 'container or network names or ids')
    .option('-f, --format <format>', "Format output: 'json' or a Go template")
    .option('--type <type>', 'Only inspect objects of the given type (container, network)')
    .option('-s, --size', 'Display total file sizes if the type is container')
    .action(async (names: string[], o: { format?: string; type?: string; size?: boolean }) => {
      if (o.type && o.type !== 'container' && o.type !== 'network') {
        throw new UsageError(`"${o.type}" is not a valid value for --type`);
      }
      const client = ctx.client();
      const found: unknown[] = [];
      const errors: string[] = [];
      for (const name of names) {
        let obj: unknown;
        let lastErr: ApiError | undefined;
        const kinds = o.type ? [o.type] : ['container', 'network'];
        for (const kind of kinds) {
          try {
            obj = kind === 'container'
              ? await client.get(`/containers/${enc(name)}/json`, { size: !!o.size })
              : await client.get(`/networks/${enc(name)}`);
            break;
          } catch (err) {
            if (!(err instanceof ApiError)) throw err;
            lastErr = err;
            if (err.status !== 404) break; // a real failure, not "try the next kind"
          }
        }
        if (obj !== undefined) found.push(obj);
        else if (lastErr && lastErr.status !== 404) errors.push(`Error response from daemon: ${lastErr.message}`);
        else errors.push(o.type ? `Error: No such ${o.type}: ${name}` : `Error: No such object: ${name}`);
      }
      ctx.out(formatInspect(found, o.format));
      for (const e of errors) ctx.err(`${e}\n`);
      if (errors.length) ctx.exitCode = 1;
    });
}

export function registerFirewall(program: Command, ctx: Ctx): void {
  program
    .command('firewall')
    .description("Manage weft's firewall rules")
    .command('reload')
    .description('Re-create every rule weft needs (after the host ruleset was flushed)')
    .action(async () => {
      await ctx.client().request('POST', '/weft/firewall/reload');
    });
}
