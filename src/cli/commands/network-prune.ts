/** `weft network prune`, asking for confirmation only on a terminal. */
import type { Command } from 'commander';
import { encodeFilters } from '../client.js';
import { collect, type Ctx, ExitError } from '../context.js';

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

export function registerNetworkPrune(network: Command, ctx: Ctx): void {
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
