/** `weft wait`, and the wait response reader run shares. */
import type { Command } from 'commander';
import { readAll, type StreamResponse } from '../client.js';
import { type Ctx, enc, forEachTarget } from '../context.js';

/** Read a wait response body: {"StatusCode": N, "Error": null | {"Message": "..."}}. */
export async function waitResult(resp: StreamResponse): Promise<{ StatusCode: number; Error?: { Message?: string } | null }> {
  const text = (await readAll(resp.stream)).toString('utf8').trim();
  if (!text) throw new Error('wait ended without a status (connection closed by the daemon)');
  return JSON.parse(text.split('\n').pop()!) as { StatusCode: number; Error?: { Message?: string } | null };
}

export function registerWait(parent: Command, ctx: Ctx): void {
  parent
    .command('wait')
    .description('Block until one or more containers stop, then print their exit codes')
    .argument('<container...>')
    .action(async (names: string[]) => {
      await forEachTarget(ctx, names,
        async (n) => {
          const resp = await ctx.client().stream('POST', `/containers/${enc(n)}/wait`);
          const r = await waitResult(resp);
          if (r.Error?.Message) throw new Error(r.Error.Message);
          return r.StatusCode;
        },
        (_n, code) => ctx.out(`${code}\n`));
    });

}
