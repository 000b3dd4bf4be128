/** `weft network renumber NAME`: an unused network with auto-picked subnets moved to the next free pool subnets. */
import type { Command } from 'commander';
import type { Ctx } from '../context.js';

interface RenumberResponse { Id: string; Renumbered: { From: string; To: string }[] }

export function registerNetworkRenumber(network: Command, ctx: Ctx): void {
  network
    .command('renumber')
    .argument('<network>')
    .description('Move an unused network with auto-picked subnets to the next free pool subnets (e.g. after a VPN took its range)')
    .action(async (ref: string) => {
      const r = await ctx.client().json<RenumberResponse>('POST', `/weft/networks/${encodeURIComponent(ref)}/renumber`);
      for (const m of r.Renumbered) ctx.out(`${m.From} -> ${m.To}\n`);
    });
}
