/** start, stop, restart, kill, rm: one request per named container, results in argument order. */
import type { Command } from 'commander';
import type { QueryValue } from '../client.js';
import { type Ctx, enc, forEachTarget, intOption } from '../context.js';

/** POST /containers/{name}/{verb} for every name, printing each name that succeeded. */
function postEach(ctx: Ctx, names: string[], verb: string, query?: Record<string, QueryValue>): Promise<void> {
  const post = (n: string) => ctx.client().post(`/containers/${enc(n)}/${verb}`, undefined, query);
  return forEachTarget(ctx, names, post, (n) => ctx.out(`${n}\n`));
}

type StopOptions = { timeout?: string; signal?: string };

export function registerLifecycle(parent: Command, ctx: Ctx): void {
  parent
    .command('start')
    .description('Start one or more stopped containers')
    .argument('<container...>')
    .action(async (names: string[]) => {
      await postEach(ctx, names, 'start');
    });

  for (const [verb, description] of [['stop', 'Stop one or more running containers'], ['restart', 'Restart one or more containers']]) {
    parent
      .command(verb!)
      .description(description!)
      .argument('<container...>')
      .option('-t, --timeout <seconds>', 'Seconds to wait before killing the container')
      .option('-s, --signal <signal>', 'Signal to send to the container')
      .action(async (names: string[], o: StopOptions) => {
        await postEach(ctx, names, verb!, { t: intOption(o.timeout, '--timeout'), signal: o.signal });
      });
  }

  parent
    .command('kill')
    .description('Kill one or more running containers')
    .argument('<container...>')
    .option('-s, --signal <signal>', 'Signal to send to the container')
    .action(async (names: string[], o: { signal?: string }) => {
      await postEach(ctx, names, 'kill', { signal: o.signal });
    });

  parent
    .command('rm')
    .alias('remove')
    .description('Remove one or more containers')
    .argument('<container...>')
    .option('-f, --force', 'Force the removal of a running container (uses SIGKILL)')
    .option('-v, --volumes', 'Remove anonymous volumes associated with the container')
    .option('-l, --link', 'Remove the specified link')
    .action(async (names: string[], o: { force?: boolean; volumes?: boolean; link?: boolean }) => {
      const query = { force: !!o.force, v: !!o.volumes, link: !!o.link };
      await forEachTarget(ctx, names, (n) => ctx.client().delete(`/containers/${enc(n)}`, query), (n) => ctx.out(`${n}\n`));
    });
}
