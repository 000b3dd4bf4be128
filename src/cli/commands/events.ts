/** `weft events`: the daemon's event stream, printed as the docker CLI's default format prints it. */
import type { Command } from 'commander';
import type { EventMessage } from '../../util/event-bus.js';
import { encodeFilters } from '../client.js';
import { collect, type Ctx } from '../context.js';
import { parseTimestamp } from './logs.js';

/** Go's RFC3339NanoFixed in local time, as `docker events` prints an event's time. */
export function eventTimeText(timeNano: bigint): string {
  const ms = Number(timeNano / 1_000_000n);
  const off = -new Date(ms).getTimezoneOffset();
  const local = new Date(ms + off * 60_000).toISOString().slice(0, 19);
  const frac = String(timeNano % 1_000_000_000n).padStart(9, '0');
  const two = (n: number) => String(n).padStart(2, '0');
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${two(Math.floor(Math.abs(off) / 60))}:${two(Math.abs(off) % 60)}`;
  return `${local}.${frac}${zone}`;
}

/**
 * One streamed line as "TIME TYPE ACTION ID (k=v, …)", attributes sorted by key, as the docker
 * CLI prints it. The time is read from the text: a nanosecond count does not fit a double.
 */
export function eventLine(json: string): string {
  const ev = JSON.parse(json) as EventMessage;
  const nano = /"timeNano":(\d+)/.exec(json)?.[1] ?? (ev.time ? `${ev.time}000000000` : '');
  const time = nano ? `${eventTimeText(BigInt(nano))} ` : '';
  const attrs = Object.keys(ev.Actor?.Attributes ?? {}).sort().map((k) => `${k}=${ev.Actor.Attributes[k]}`);
  return `${time}${ev.Type} ${ev.Action} ${ev.Actor?.ID ?? ''}${attrs.length ? ` (${attrs.join(', ')})` : ''}\n`;
}

export function registerEvents(program: Command, ctx: Ctx): void {
  program
    .command('events')
    .description('Get real time events from the server')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided (repeatable)', collect, [])
    .option('--since <time>', 'Show all events created since timestamp')
    .option('--until <time>', 'Stream events until this timestamp')
    .action(async (o: { filter: string[]; since?: string; until?: string }) => {
      const now = ctx.io.now();
      const res = await ctx.client().stream('GET', '/events', {
        query: {
          filters: encodeFilters(o.filter),
          since: o.since ? parseTimestamp(o.since, now) : undefined,
          until: o.until ? parseTimestamp(o.until, now) : undefined,
        },
      });
      let pending = '';
      for await (const chunk of res.stream) {
        pending += String(chunk);
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) ctx.io.stdout.write(eventLine(line));
      }
    });
}
