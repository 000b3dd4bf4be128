/** `weft network rotate-keys`: a new WireGuard key pair for this host's encrypted overlays. */
import type { Command } from 'commander';
import type { Ctx } from '../context.js';

export function registerNetworkRotateKeys(network: Command, ctx: Ctx): void {
  network
    .command('rotate-keys')
    .description("Replace this host's WireGuard key pair (encrypted overlay networks); prints the new public key")
    .action(async () => {
      const r = await ctx.client().json<{ PublicKey: string }>('POST', '/weft/wireguard/rotate-keys');
      ctx.out(`${r.PublicKey}\n`);
    });
}
