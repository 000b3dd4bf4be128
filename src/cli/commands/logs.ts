/** `weft logs`, with docker's --since/--until forms. */
import type { Command } from 'commander';
import { UsageError } from '../client.js';
import { type Ctx, enc } from '../context.js';
import { parseGoDuration } from '../../util/duration.js';
import { rawCopy, stdCopy } from '../stdcopy.js';

/** --since/--until: unix seconds, RFC 3339, or a Go duration relative to now ("10m", "1h30m"). */
export function parseTimestamp(value: string, now: number): string {
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  const ago = parseGoDuration(value);
  if (ago !== undefined) return String(Math.floor((now - ago) / 1000));
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`invalid value for "since"/"until": ${value}`);
  return String(Math.floor(t / 1000));
}

export function registerLogs(parent: Command, ctx: Ctx): void {
  parent
    .command('logs')
    .description('Fetch the logs of a container')
    .argument('<container>')
    .option('-f, --follow', 'Follow log output')
    .option('-n, --tail <n>', 'Number of lines to show from the end of the logs', 'all')
    .option('-t, --timestamps', 'Show timestamps')
    .option('--since <time>', 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m")')
    .option('--until <time>', 'Show logs before a timestamp or relative (e.g. "42m")')
    .action(async (name: string, o: { follow?: boolean; tail: string; timestamps?: boolean; since?: string; until?: string }) => {
      const client = ctx.client();
      const info = await client.get<{ Id?: string; Config?: { Tty?: boolean } | null }>(`/containers/${enc(name)}/json`);
      const now = ctx.io.now();
      const logs = await client.stream('GET', `/containers/${enc(info?.Id || name)}/logs`, {
        query: {
          stdout: true,
          stderr: true,
          follow: !!o.follow,
          tail: o.tail,
          timestamps: !!o.timestamps,
          since: o.since ? parseTimestamp(o.since, now) : undefined,
          until: o.until ? parseTimestamp(o.until, now) : undefined,
        },
      });
      if (info?.Config?.Tty) await rawCopy(logs.stream, ctx.io.stdout);
      else await stdCopy(logs.stream, ctx.io.stdout, ctx.io.stderr);
    });
}
