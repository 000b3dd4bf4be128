/** `weft container inspect`. */
import type { Command } from 'commander';
import { type Ctx, enc } from '../context.js';
import { inspectEach } from './inspect-each.js';

export function registerContainerInspect(parent: Command, ctx: Ctx): void {
  parent
    .command('inspect')
    .description('Display detailed information on one or more containers')
    .argument('<container...>')
    .option('-f, --format <format>', "Format output: 'json' or a Go template")
    .option('-s, --size', 'Display total file sizes')
    .action(async (names: string[], o: { format?: string; size?: boolean }) => {
      await inspectEach(ctx, names, o.format, (n) => ctx.client().get(`/containers/${enc(n)}/json`, { size: !!o.size }));
    });
}
