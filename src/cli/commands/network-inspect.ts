/** `weft network inspect` and `weft network rm`. */
import type { Command } from 'commander';
import { ApiError } from '../client.js';
import { type Ctx, enc, forEachTarget } from '../context.js';
import { inspectEach } from './inspect-each.js';

export function registerNetworkInspect(network: Command, ctx: Ctx): void {
  network
    .command('inspect')
    .description('Display detailed information on one or more networks')
    .argument('<network...>', 'network names or ids')
    .option('-f, --format <format>', "Format output using a custom template: 'json' or a Go template")
    .option('-v, --verbose', 'Verbose output for diagnostics')
    .action(async (names: string[], o: { format?: string; verbose?: boolean }) => {
      const verbose = o.verbose ? 'true' : undefined;
      await inspectEach(ctx, names, o.format, (name) => ctx.client().get(`/networks/${enc(name)}`, { verbose }));
    });
}

export function registerNetworkRm(network: Command, ctx: Ctx): void {
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
}
