/**
 * The bench's report: the figures table, weft/peer ratios, the sections' own tables, the
 * harness overhead notes (stdout), and the same as JSON (--json).
 */
import fs from 'node:fs';
import os from 'node:os';
import { results, type Key } from './harness.js';
import { dnsTable, type DnsRow } from './dns.js';
import { BACKENDS, JSON_OUT, N, SYSTEMS } from './options.js';
import { metricsTable, type MetricsRow } from './metrics.js';
import { overlayTable, type OverlayRow } from './overlay.js';
import { portsTable, type PortsRow } from './ports.js';
import { profileTable } from './profile.js';
import { columns, f2 } from './table.js';
import { profiles } from './weft.js';

/** The figures of the weft-only sections, by section. */
export interface Extra { ports?: PortsRow[]; dns?: DnsRow[]; overlay?: OverlayRow[]; metrics?: MetricsRow[] }

function table(): string {
  const head = ['system', 'figure', 'p50', 'p90', 'first10', 'last10', 'last/first'];
  const body: string[][] = [];
  for (const r of results.rows) {
    body.push([r.system, r.figure, r.value !== undefined ? `${f2(r.value)} MB` : f2(r.p50), f2(r.p90), f2(r.first10), f2(r.last10),
      r.first10 && r.last10 && (r.samples ?? 0) >= 20 ? (r.last10 / r.first10).toFixed(2) : '']);
  }
  for (const s of results.skipped) body.push([s.system, `skipped: ${s.reason}`, '', '', '', '', '']);
  const notes = results.rows.filter((r) => r.note && (r.key === 'e2e' || r.key === 'rss')).map((r) => `${r.system} ${r.key}: ${r.note}`);
  const legend = 'times in ms; first10/last10 = p50 of the first/last 10 operations; last/first = their ratio (N >= 20).';
  return [columns(head, body), '', legend, ...notes].join('\n');
}

/** With more than 50 samples: the p50 of each tenth of the operations, in order (drift as N grows). */
function trends(): string {
  const rows = results.rows.filter((r) => r.trend);
  if (!rows.length) return '';
  const body = rows.map((r) => [r.system, r.key, ...r.trend!.map((x) => f2(x))]);
  return [columns(['trend', 'figure', ...Array.from({ length: 10 }, (_, i) => `${i + 1}/10`)], body), '',
    'p50 of each tenth of the operations, in order (ms).'].join('\n');
}

/** weft figure -> the peer figure it is compared with. */
const COMPARE: [Key, Key, string][] = [
  ['attach', 'attach', 'attach (weft: create+start)'],
  ['attach-net', 'attach', 'attach, network part only'],
  ['detach', 'detach', 'detach'],
  ['cycle-1', 'cycle-1', 'CNI ADD+DEL, 1 attachment'],
  ['cycle-n', 'cycle-n', `CNI ADD+DEL, ${N} attachments`],
  ['connect', 'connect', 'network connect'],
  ['disconnect', 'disconnect', 'network disconnect'],
  ['netcreate', 'netcreate', 'network create'],
  ['netdelete', 'netdelete', 'network delete'],
  ['rss', 'rss', `daemon RSS, ${N} endpoints`],
  ['e2e', 'e2e', 'e2e run -d -p -> answer'],
];

/** One cell of the ratio table: weft's figure over the peer's. */
function ratio(weft: string, wk: Key, peer: string, pk: Key): string {
  // Docker's attach includes its container start like weft's; only the exec'd peers are network-only.
  if (wk === 'attach-net' && peer === 'docker') return '';
  const wr = results.rows.find((x) => x.system === weft && x.key === wk)!;
  const pr = results.rows.find((x) => x.system === peer && x.key === pk);
  if (!pr) return '';
  if (wr.value !== undefined && pr.value !== undefined) return (wr.value / pr.value).toFixed(2);
  if (wr.p50 === undefined || !pr.p50) return '';
  const last = wr.last10 !== undefined && pr.last10 && (wr.samples ?? 0) >= 20 ? ` (${(wr.last10 / pr.last10).toFixed(2)})` : '';
  return `${(wr.p50 / pr.p50).toFixed(2)}${last}`;
}

function ratios(): string {
  const { rows } = results;
  const wefts = [...new Set(rows.filter((r) => r.system.startsWith('weft')).map((r) => r.system))];
  const peers = [...new Set(rows.filter((r) => !r.system.startsWith('weft')).map((r) => r.system))];
  if (!wefts.length || !peers.length) return '';
  const body: string[][] = [];
  for (const w of wefts) {
    for (const [wk, pk, label] of COMPARE) {
      if (!rows.some((x) => x.system === w && x.key === wk)) continue;
      const cells = peers.map((p) => ratio(w, wk, p, pk));
      if (cells.some(Boolean)) body.push([w, label, ...cells]);
    }
  }
  return [columns(['weft/peer', 'figure', ...peers], body), '',
    'ratio of p50s (in brackets: of last-10 p50s); below 1 means weft is faster or smaller.'].join('\n');
}

function harness(): string {
  const floor = results.execFloorMs === undefined ? 'n/a' : `${results.execFloorMs.toFixed(2)} ms`;
  return [
    'weft and dockerd are driven through their Docker Engine API sockets (HTTP over a unix socket from this process, '
      + 'in the root namespace; no exec per operation); their attach includes creating the container\'s netns (weft: the sandbox) '
      + 'and starting its process, detach includes killing it.',
    'The CNI plugins and netavark are exec\'d per operation, as containerd/podman exec them, by a runner process that lives in their host '
      + 'namespace and times fork-to-exit itself (no nsenter/ip netns exec per operation; '
      + `exec floor of /bin/true from the runner: ${floor}); `
      + 'their container netns are created before and outside the timed region, so their figures are network setup only.',
    'attach-net rows compare network setup alone: for weft, from its daemon\'s log timestamps (start request to "endpoint joined", '
      + 'which still includes creating the sandbox netns).',
    'e2e: the CLI (weft/docker) is a new process per run; the time runs from spawning it to the first HTTP answer seen by a poller '
      + '(TCP connect every 2 ms) in another namespace, through the host namespace\'s address.',
  ].join('\n');
}

/** Print the report to stdout and write the JSON file. */
export function report(extra: Extra, started: number): void {
  const { rows, skipped, breakdown, execFloorMs } = results;
  const took = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`\nweft bench, N=${N}, ${new Date().toISOString()}, ${os.cpus().length} CPUs, kernel ${os.release()}, ${took} s\n`);
  if (rows.length || skipped.length) console.log(`${table()}\n`);
  const t = trends();
  if (t) console.log(`${t}\n`);
  const r = ratios();
  if (r) console.log(`${r}\n`);
  for (const [sys, b] of Object.entries(breakdown)) {
    console.log(`${sys} start breakdown (p50, daemon log): request -> endpoint joined ${b.startToJoinedP50} ms, `
      + `endpoint joined -> container running ${b.joinedToStartedP50} ms`);
  }
  for (const [sys, p] of Object.entries(profiles)) console.log(`\n${profileTable(`${sys} daemon CPU profile (whole daemon run)`, p)}`);
  if (extra.ports) console.log(`\n${portsTable(extra.ports)}`);
  if (extra.dns) console.log(`\n${dnsTable(extra.dns)}`);
  if (extra.overlay) console.log(`\n${overlayTable(extra.overlay)}`);
  if (extra.metrics) console.log(`\n${metricsTable(extra.metrics)}`);
  console.log(`\nharness overhead:\n${harness()}`);
  const json = { n: N, backends: BACKENDS, systems: SYSTEMS, date: new Date().toISOString(), cpus: os.cpus().length, kernel: os.release(),
    harness: harness(), execFloorMs, rows, skipped, breakdown, profiles, ...extra };
  fs.writeFileSync(JSON_OUT, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nresults written to ${JSON_OUT}`);
}
