/**
 * `weft top`: the busiest published ports and networks, from the daemon's /metrics (the
 * kernel's per-port counters), redrawn every second until interrupted; `--once` prints one
 * frame. Rates are per second between two frames, so a single frame sorts by totals.
 */
import type { Command } from 'commander';
import { UsageError } from '../client.js';
import type { Ctx } from '../context.js';
import { humanSize } from '../format/humanize.js';
import { renderTable } from '../format/tabwriter.js';
import { parseMetricsText, type Sample } from '../metrics-text.js';

interface PortRow { key: string; container: string; network: string; port: string; packets: number; bytes: number; rate?: number }

interface NetRow { network: string; driver: string; endpoints: number; ports: number; bytes: number; rate?: number }

interface Frame { at: number; ports: PortRow[] }

const CLEAR = '\x1b[H\x1b[2J';

function portKey(l: Record<string, string>): string {
  return [l.network, l.container, l.proto, l.host_ip, l.host_port, l.container_port].join('|');
}

function portRows(samples: Sample[]): PortRow[] {
  const rows = new Map<string, PortRow>();
  for (const s of samples) {
    if (s.name !== 'weft_port_bytes_total' && s.name !== 'weft_port_packets_total') continue;
    const l = s.labels;
    const key = portKey(l);
    const row = rows.get(key) ?? {
      key, container: l.container ?? '', network: l.network ?? '', packets: 0, bytes: 0,
      port: `${l.host_ip?.includes(':') ? `[${l.host_ip}]` : l.host_ip}:${l.host_port}->${l.container_port}/${l.proto}`,
    };
    if (s.name === 'weft_port_bytes_total') row.bytes = s.value;
    else row.packets = s.value;
    rows.set(key, row);
  }
  return [...rows.values()];
}

const rate = (r: number | undefined) => (r === undefined ? '-' : `${humanSize(r)}/s`);
const busiest = (a: { bytes: number; rate?: number }, b: { bytes: number; rate?: number }) =>
  (b.rate ?? 0) - (a.rate ?? 0) || b.bytes - a.bytes;

/** One screen: a summary line, the ports table and the networks table, at most `limit` rows each. */
export function renderFrame(samples: Sample[], now: number, prev: Frame | undefined, limit: number): { text: string; frame: Frame } {
  const ports = portRows(samples);
  const before = new Map((prev?.ports ?? []).map((p) => [p.key, p]));
  const dt = prev ? (now - prev.at) / 1000 : 0;
  for (const p of ports) {
    const old = before.get(p.key);
    if (old && dt > 0) p.rate = Math.max(0, (p.bytes - old.bytes) / dt);
  }
  const value = (name: string, pick = (_: Sample) => true) =>
    samples.filter((s) => s.name === name && pick(s)).reduce((a, s) => a + s.value, 0);
  const nets = new Map<string, NetRow>();
  for (const s of samples.filter((x) => x.name === 'weft_endpoints')) {
    const network = s.labels.network ?? '';
    nets.set(network, { network, driver: s.labels.driver ?? '', endpoints: s.value, ports: 0, bytes: 0 });
  }
  for (const p of ports) {
    const n = nets.get(p.network);
    if (!n) continue;
    n.ports++;
    n.bytes += p.bytes;
    if (p.rate !== undefined) n.rate = (n.rate ?? 0) + p.rate;
  }
  const summary = `weft top: ${value('weft_networks')} networks, ${value('weft_endpoints')} endpoints, `
    + `${ports.length} published ports, ${value('weft_containers_running')} running containers\n\n`;
  const portTable = renderTable([
    ['CONTAINER', 'NETWORK', 'PORT', 'PACKETS', 'BYTES', 'RATE'],
    ...ports.sort(busiest).slice(0, limit)
      .map((p) => [p.container, p.network, p.port, String(p.packets), humanSize(p.bytes), rate(p.rate)]),
  ]);
  const netTable = renderTable([
    ['NETWORK', 'DRIVER', 'ENDPOINTS', 'PORTS', 'BYTES', 'RATE'],
    ...[...nets.values()].sort(busiest).slice(0, limit)
      .map((n) => [n.network, n.driver, String(n.endpoints), String(n.ports), humanSize(n.bytes), rate(n.rate)]),
  ]);
  return { text: `${summary}${portTable}\n${netTable}`, frame: { at: now, ports } };
}

export function registerTop(program: Command, ctx: Ctx): void {
  program
    .command('top')
    .description('Show the busiest published ports and networks (refreshes every second)')
    .option('--once', 'print one frame and exit')
    .option('-n, --lines <n>', 'rows per table', '10')
    .action(async (o: { once?: boolean; lines: string }) => {
      const limit = Number(o.lines);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError('invalid argument for -n/--lines: must be a positive integer');
      let stopped = false;
      let wake: (() => void) | undefined;
      const off = ctx.io.onSignal(() => { stopped = true; wake?.(); });
      try {
        let prev: Frame | undefined;
        while (!stopped) {
          const body = (await ctx.client().request('GET', '/metrics')).body.toString('utf8');
          const { text, frame } = renderFrame(parseMetricsText(body), ctx.io.now(), prev, limit);
          ctx.out(o.once ? text : `${CLEAR}${text}`);
          if (o.once) return;
          prev = frame;
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 1000);
          });
        }
      } finally {
        off();
      }
    });
}
