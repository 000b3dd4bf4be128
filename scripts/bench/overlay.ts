/**
 * Multi-host overlay figures on a 2-host lab (test/helpers/cluster.ts: network namespaces
 * on an underlay switch, one etcd, one weft daemon per host; namespaces weft-t-*, temp
 * dirs weft-cluster-* / weft-test-*), all removed at the end, also on failure:
 *
 *   throughput   iperf3 TCP, rounds over five paths in turn (a discarded warm-up round, then
 *                --iperf-runs rounds, median per path, Gbit/s at the receiver, the load average
 *                after each run), same iperf3 options on every path: host A -> host B over the plain underlay; over a
 *                hand-made VXLAN between the two host namespaces; container on A -> container
 *                on B over a weft overlay network; over a hand-made WireGuard tunnel with VXLAN
 *                over it (overlay-hand.ts); container -> container over a weft network created
 *                with the `encrypted` option (overlay-enc.ts: no figure when the daemon refuses
 *                the option or its traffic shows in clear). Ratios keyed overlay-ratio-vxlan
 *                and encrypted-ratio-wireguard (and overlay-ratio-underlay).
 *                The containers are busybox, so the host's iperf3 runs in their netns.
 *   convergence  R times: a new container on B (static overlay IP, created untimed), then
 *                from the start request sent to B's daemon until a container on A gets an
 *                ICMP reply from it (first reply of a ping -i 0.002, timestamped by ping
 *                itself; the pinging container's ARP retransmit time is lowered to 10 ms,
 *                else an unanswered ARP is only retried after 1 s), and until B's endpoint
 *                appears in A's VXLAN neighbour table (ip -ts monitor in A's overlay
 *                namespace). The container is removed after each run.
 *
 *   node dist/scripts/bench/overlay.js [--iperf-seconds 5] [--iperf-runs 5] [--overlay-runs 10] [--json FILE]
 *
 * Does not use vitest: only TestCluster/TestDaemon (no assertions in them) are imported.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { TestCluster } from '../../test/helpers/cluster.js';
import { waitFor, type TestDaemon } from '../../test/helpers/daemon.js';
import { pct, sleep } from './harness.js';
import { ENC_IP_B, encryptedUp, NOT_SUPPORTED } from './overlay-enc.js';
import { handVxlan, handWireguard } from './overlay-hand.js';
import { ratioRow } from './overlay-rows.js';
import { exited, must, mtuOf, OverlayLab, pairOn, routeDev } from './overlay-lab.js';
import { columns, f2 } from './table.js';

export interface OverlayRow {
  /** Stable name of the figure in the JSON (e.g. overlay-ratio-vxlan). */
  key?: string;
  what: string;
  unit: 'Gbit/s' | 'ms' | 'ratio' | 'bytes';
  /** Single figure (throughput, ratio, MTU); for throughput the median of the runs. */
  value?: number;
  p50?: number;
  p90?: number;
  min?: number;
  max?: number;
  samples?: number;
  /** Every sample, in order. */
  raw?: number[];
  note?: string;
}

export interface OverlayOptions {
  iperfSeconds: number;
  /** iperf3 runs per path (alternating underlay, overlay); the median is reported. */
  iperfRuns: number;
  /** Convergence runs (a new container on B each). */
  runs: number;
  log?: (s: string) => void;
  /**
   * Lets the caller's signal handler tear the lab down (the teardown is idempotent and
   * also waits for a lab still being built); returns the unregister function.
   */
  register?: (teardown: () => Promise<void>) => () => void;
}

const NET = 'benchov';
const SUBNET = '10.90.0.0/16';
const IP_A = '10.90.0.2';
const IP_B = '10.90.0.3';
/** Run i's container on B: 10.90.1.2, 10.90.1.3, … (a fresh address each run: no stale neighbour). */
const runIp = (i: number) => `10.90.${1 + Math.floor(i / 250)}.${2 + (i % 250)}`;
/** The client's ARP retransmit time during the convergence probe (kernel default 1000 ms). */
const ARP_RETRANS_MS = 10;

/** Wall clock in ms with sub-ms resolution (comparable with ping -D's timestamps). */
const wall = () => performance.timeOrigin + performance.now();

/** The lab once the overlay and its two long-lived containers (A and B) are up. */
interface Ready {
  lab: OverlayLab;
  cluster: TestCluster;
  A: TestDaemon;
  B: TestDaemon;
  keyA: string;
  keyB: string;
  vni: number;
  ovDev: string;
  ulMtu: number;
  ovMtu: number;
  log: (s: string) => void;
}

interface Iperf { gbps: number; retr: number; /** 1-minute load average when the run ended. */ load: number }

const loadAverage = () => Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

export async function benchOverlay(o: OverlayOptions): Promise<OverlayRow[]> {
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const lab = new OverlayLab();
  const unregister = o.register?.(() => lab.teardown());
  try {
    log('  starting a 2-host lab (etcd + 2 weft daemons in namespaces)');
    const cluster = await lab.start();
    const daemons = cluster.hosts.map((h) => h.child?.pid).join(' ');
    log(`  lab: namespaces ${[cluster.underlay, ...cluster.hosts.map((h) => h.host)].map((n) => n.name).join(' ')}; `
      + `etcd pid ${cluster.etcd?.pid}, daemons ${daemons}`);
    const ready = await overlayUp(lab, cluster, log);
    const rows = await throughput(ready, o);
    rows.push(...await convergence(ready, o.runs));
    rows.push({ what: 'MTU: underlay / overlay interface', unit: 'bytes', raw: [ready.ulMtu, ready.ovMtu] });
    return rows;
  } finally {
    await lab.teardown();
    unregister?.();
  }
}

/** The overlay network and a container on each host, A able to ping B. */
async function overlayUp(lab: OverlayLab, cluster: TestCluster, log: (s: string) => void): Promise<Ready> {
  const [A, B] = cluster.hosts;
  const ulMtu = mtuOf(A.host.path, 'eth0');
  await must(A, 'POST', '/networks/create', { Name: NET, Driver: 'overlay', IPAM: { Config: [{ Subnet: SUBNET }] } });
  const { keyA, keyB } = await pairOn(lab, cluster, NET, ['ovA', 'ovB'], [IP_A, IP_B]);
  const vni = Number((await must(A, 'GET', `/networks/${NET}`)).Options['com.docker.network.driver.overlay.vxlanid_list']);
  const ovDev = routeDev(keyA, IP_B);
  const ovMtu = mtuOf(keyA, ovDev);
  log(`  overlay ${NET} (VNI ${vni}, ${SUBNET}); underlay MTU ${ulMtu}, overlay ${ovDev} MTU ${ovMtu}`);
  return { lab, cluster, A, B, keyA, keyB, vni, ovDev, ulMtu, ovMtu, log };
}

/** One iperf3 run, server in serverNs, client in clientNs; Gbit/s at the receiver. */
async function iperf(r: Ready, seconds: number, what: string, serverNs: string, clientNs: string, serverIp: string): Promise<Iperf> {
  const srv = r.lab.spawn([`--net=${serverNs}`, 'iperf3', '-s', '-1', '--forceflush']);
  let out = '';
  srv.stdout!.on('data', (d) => (out += d));
  srv.stderr!.on('data', (d) => (out += d));
  await waitFor(() => {
    if (srv.exitCode !== null) throw new Error(`iperf3 server exited: ${out}`);
    return out.includes('Server listening');
  }, 'iperf3 server', 10_000);
  const cli = r.lab.spawn([`--net=${clientNs}`, 'iperf3', '-c', serverIp, '-t', String(seconds), '-J']);
  let json = '';
  cli.stdout!.on('data', (d) => (json += d));
  if (!(await exited(cli, (seconds + 30) * 1000))) throw new Error(`iperf3 client (${what}) did not finish`);
  if (!(await exited(srv, 5000))) srv.kill('SIGKILL');
  type Result = { error?: string; end?: { sum_received?: { bits_per_second: number }; sum_sent?: { retransmits?: number } } };
  const j = JSON.parse(json) as Result;
  if (j.error || !j.end?.sum_received) throw new Error(`iperf3 ${what}: ${j.error ?? 'no result'}`);
  const res = { gbps: j.end.sum_received.bits_per_second / 1e9, retr: j.end.sum_sent?.retransmits ?? 0, load: loadAverage() };
  r.log(`  iperf3 ${what}: ${res.gbps.toFixed(2)} Gbit/s (receiver), ${res.retr} retransmits, load ${res.load}`);
  return res;
}

/** One measured path: where its iperf3 server and client run. */
interface TpPath { key: string; what: string; serverNs: string; clientNs: string; serverIp: string; note: string }

async function throughput(r: Ready, o: OverlayOptions): Promise<OverlayRow[]> {
  const vx = handVxlan(r.lab, r.cluster, r.ulMtu);
  const wg = await handWireguard(r.lab, r.cluster, r.ulMtu);
  const enc = await encryptedUp(r.lab, r.cluster, r.log);
  const hostA = r.A.host.path;
  const hostB = r.B.host.path;
  const paths: TpPath[] = [
    { key: 'underlay', what: 'underlay: host A -> host B', serverNs: hostB, clientNs: hostA, serverIp: r.cluster.addr(1),
      note: `${r.cluster.addr(0)} -> ${r.cluster.addr(1)}, MTU ${r.ulMtu}` },
    { key: 'hand-vxlan', what: 'hand VXLAN: host A -> host B', serverNs: hostB, clientNs: hostA, serverIp: vx.serverIp, note: vx.note },
    { key: 'overlay', what: 'weft overlay: container A -> container B', serverNs: r.keyB, clientNs: r.keyA, serverIp: IP_B,
      note: `${IP_A} -> ${IP_B} over VXLAN (VNI ${r.vni}), MTU ${r.ovMtu}` },
    { key: 'hand-wireguard', what: 'hand WireGuard + VXLAN: host A -> host B', serverNs: hostB, clientNs: hostA, serverIp: wg.serverIp,
      note: wg.note },
    ...('unsupported' in enc ? [] : [{ key: 'encrypted', what: 'weft encrypted overlay: container A -> container B',
      serverNs: enc.keyB, clientNs: enc.keyA, serverIp: ENC_IP_B, note: enc.note }]),
  ];
  // Rounds over every path in turn (A B C … A B C …), so a load change on the machine touches
  // all of them alike; a first warm-up round (caches, ARP, TCP metrics, wireguard-go's threads) is discarded.
  r.log('  warm-up round (discarded)');
  for (const p of paths) await iperf(r, Math.min(2, o.iperfSeconds), `${p.what} (warm-up)`, p.serverNs, p.clientNs, p.serverIp);
  const got = new Map<string, Iperf[]>(paths.map((p) => [p.key, []]));
  for (let i = 0; i < o.iperfRuns; i++) {
    // Every other round backwards (A B C, C B A, …): no path always runs right after another one.
    for (const p of i % 2 ? [...paths].reverse() : paths) {
      got.get(p.key)!.push(await iperf(r, o.iperfSeconds, p.what, p.serverNs, p.clientNs, p.serverIp));
    }
  }
  const med = (key: string) => (got.has(key) ? pct(got.get(key)!.map((x) => x.gbps), 50) : undefined);
  const iperfNote = `iperf3 -t ${o.iperfSeconds}, receiver side, median of ${o.iperfRuns} interleaved rounds (every other one in `
    + 'reverse order) after a discarded warm-up';
  const rows: OverlayRow[] = paths.map((p) => {
    const xs = got.get(p.key)!;
    return { key: `throughput-${p.key}`, what: `TCP throughput, ${p.what}`, unit: 'Gbit/s', value: med(p.key), samples: xs.length,
      raw: xs.map((x) => Math.round(x.gbps * 1000) / 1000),
      note: `${iperfNote}; ${p.note}; retransmits ${xs.map((x) => x.retr).join(', ')}; load average ${xs.map((x) => x.load).join(', ')}` };
  });
  if ('unsupported' in enc) rows.push({ key: 'throughput-encrypted', what: 'TCP throughput, weft encrypted overlay', unit: 'Gbit/s',
    note: enc.unsupported });
  const gbps = (key: string) => got.get(key)?.map((x) => x.gbps);
  const loads = [...got.values()].flat().map((x) => x.load);
  const roundsNote = `value: ratio of the medians; p50 and range: of the ratios within each round; load average ${Math.min(...loads)}`
    + `–${Math.max(...loads)} over the runs`;
  const ratio = (key: string, what: string, a: string, b: string, note?: string) =>
    rows.push(ratioRow(key, what, { num: med(a), den: med(b), numRounds: gbps(a), denRounds: gbps(b) },
      { missing: NOT_SUPPORTED, note: note ? `${note}; ${roundsNote}` : roundsNote }));
  ratio('overlay-ratio-underlay', 'weft overlay / underlay throughput', 'overlay', 'underlay');
  ratio('overlay-ratio-vxlan', 'weft overlay / hand VXLAN throughput', 'overlay', 'hand-vxlan');
  ratio('encrypted-ratio-wireguard', 'weft encrypted / hand WireGuard + VXLAN throughput', 'encrypted', 'hand-wireguard',
    'same WireGuard implementation on both sides, VXLAN over it on both');
  return rows;
}

/**
 * When each address first shows in A's VXLAN neighbour table, from `ip -ts monitor neigh` in
 * A's overlay namespace (-ts: ip's own receive time of each netlink event, local time, µs).
 */
function watchNeighbours(r: Ready): { seen: Map<string, number>; stop: () => void } {
  const seen = new Map<string, number>();
  const mon = r.lab.spawn([`--net=${r.A.runDir}/netns/ov-${r.vni}`, 'ip', '-ts', 'monitor', 'neigh']);
  let buf = '';
  mon.stdout!.on('data', (d) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) {
      const m = /^\[(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)\.(\d+)\] (\d+\.\d+\.\d+\.\d+) dev vx-\d+ lladdr/.exec(l);
      if (!m || seen.has(m[8])) continue;
      const [y, mo, da, h, mi, se] = m.slice(1, 7).map(Number);
      seen.set(m[8], new Date(y, mo - 1, da, h, mi, se).getTime() + Number(`0.${m[7]}`) * 1000);
    }
  });
  return { seen, stop: () => mon.kill('SIGKILL') };
}

/**
 * A ping from A's container to ip: `begun` once it runs, `replied` with the first reply's
 * time. ping -i 0.002 (while nothing answers it sends every ~5-10 ms); -D timestamps each
 * line; the first reply line ends it. No -c and no -w: with either, iputils ping stops at
 * the first error (the "Destination Host Unreachable" of a failed ARP resolution), so the
 * time limit is ours.
 */
function pingUntilReply(r: Ready, run: number, ip: string) {
  const ping = r.lab.spawn([`--net=${r.keyA}`, 'ping', '-D', '-n', '-i', '0.002', ip]);
  const limit = setTimeout(() => ping.kill('SIGKILL'), 30_000);
  let out = '';
  let started!: () => void;
  const begun = new Promise<void>((res) => (started = res));
  const replied = new Promise<number>((resolve, reject) => {
    ping.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('PING ')) started();
      const first = /^\[(\d+\.\d+)\] \d+ bytes from/m.exec(out);
      if (first) resolve(Number(first[1]) * 1000);
    });
    ping.once('exit', () => {
      started();
      reject(new Error(`run ${run}: ${ip} on B never answered from A:\n${out.slice(-500)}`));
    });
  });
  replied.catch(() => undefined);
  const done = async () => {
    clearTimeout(limit);
    ping.kill('SIGKILL');
    await exited(ping, 5000);
  };
  return { begun, replied, done, output: () => out };
}

interface Convergence { reach: number[]; afterReturn: number[]; startCall: number[]; table: number[] }

/** One run: a new container on B, started while A pings its address. */
async function convergeOnce(r: Ready, i: number, runs: number, seen: Map<string, number>, c: Convergence): Promise<void> {
  const ip = runIp(i);
  const id = await r.lab.run(r.B, NET, `conv${i}`, ip, false);
  const ping = pingUntilReply(r, i, ip);
  await ping.begun;
  await sleep(20);
  const t0 = wall();
  await must(r.B, 'POST', `/containers/${id}/start`);
  const t1 = wall();
  const tr = await ping.replied;
  await ping.done();
  await waitFor(() => seen.has(ip), `${ip} in A's neighbour table`, 5000).catch(() => undefined);
  c.reach.push(tr - t0);
  c.afterReturn.push(tr - t1);
  c.startCall.push(t1 - t0);
  if (seen.has(ip)) c.table.push(seen.get(ip)! - t0);
  const seq = /^\[[\d.]+\] \d+ bytes from .* icmp_seq=(\d+)/m.exec(ping.output())?.[1];
  const neighbour = seen.has(ip) ? (seen.get(ip)! - t0).toFixed(1) : '?';
  r.log(`  convergence run ${i + 1}/${runs}: start sent -> reachable from A ${(tr - t0).toFixed(1)} ms (icmp_seq ${seq}; `
    + `start call ${(t1 - t0).toFixed(1)} ms, neighbour on A at ${neighbour} ms)`);
  await r.lab.remove(r.B, id);
}

async function convergence(r: Ready, runs: number): Promise<OverlayRow[]> {
  // Fast ARP retries in A's container: an unresolved neighbour is retried every 10 ms
  // (and re-resolved at once after it fails), so the probe sees B's entry within ~10 ms
  // of its programming rather than at the kernel's next 1 s retransmit.
  spawnSync('nsenter', [`--net=${r.keyA}`, 'sh', '-c', `echo ${ARP_RETRANS_MS} > /proc/sys/net/ipv4/neigh/${r.ovDev}/retrans_time_ms`]);
  const neigh = watchNeighbours(r);
  await sleep(200);
  const c: Convergence = { reach: [], afterReturn: [], startCall: [], table: [] };
  for (let i = 0; i < runs; i++) await convergeOnce(r, i, runs, neigh.seen, c);
  neigh.stop();
  const rows: OverlayRow[] = [];
  const dist = (what: string, xs: number[], note?: string) => {
    if (!xs.length) return;
    rows.push({ what, unit: 'ms', p50: pct(xs, 50), p90: pct(xs, 90), min: Math.min(...xs), max: Math.max(...xs), samples: xs.length,
      raw: xs.map((x) => Math.round(x * 10) / 10), ...(note ? { note } : {}) });
  };
  const early = c.afterReturn.filter((x) => x < 0).length;
  dist('convergence: start sent to B -> ICMP reply on A', c.reach,
    `ping from A's container every 2-10 ms (timestamps from ping -D), its ARP retransmit lowered to ${ARP_RETRANS_MS} ms `
    + '(so ~10 ms resolution); a new container (new IP) on B each run; reachable before B\'s start call returned in '
    + `${early} of ${c.reach.length} runs (the endpoint is joined and published before the process starts)`);
  dist('convergence: start sent to B -> neighbour entry on A\'s VXLAN device', c.table,
    'ip -ts monitor neigh in A\'s overlay namespace (B publishes the endpoint in etcd, '
    + 'A\'s watch programs static FDB + neighbour on vx-<vni>)');
  dist('start call on B (request -> response), for reference', c.startCall,
    'includes starting the container process after the network part');
  return rows;
}

export function overlayTable(rows: OverlayRow[]): string {
  const body = rows.map((r) => {
    if (r.unit === 'ms') return [r.what, `${f2(r.p50)} ms`, `${f2(r.p90)} ms`, `${f2(r.min)}–${f2(r.max)} ms`, String(r.samples)];
    if (r.unit === 'bytes') return [r.what, (r.raw ?? []).join(' / '), '', '', ''];
    if (r.value === undefined) return [r.what, '—', '', '', ''];
    if (r.unit === 'ratio') return [r.what, f2(r.value), '', r.samples ? `${f2(r.min)}–${f2(r.max)} (p50 ${f2(r.p50)})` : '', String(r.samples ?? '')];
    const range = (r.samples ?? 0) > 1 ? `${f2(Math.min(...r.raw!))}–${f2(Math.max(...r.raw!))}` : '';
    return [r.what, `${f2(r.value)} Gbit/s`, '', range, String(r.samples)];
  });
  const notes = rows.filter((r) => r.note).map((r) => `${r.what.trim()}: ${r.note}`);
  return [columns(['overlay (2 hosts)', 'value / p50', 'p90', 'range', 'n'], body, 1), '', ...notes].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string, def: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
  };
  let teardown: (() => Promise<void>) | undefined;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\n${sig}: cleaning up\n`);
      void (teardown?.() ?? Promise.resolve()).finally(() => process.exit(130));
    });
  }
  const rows = await benchOverlay({
    iperfSeconds: Number(arg('iperf-seconds', '5')), iperfRuns: Number(arg('iperf-runs', '5')), runs: Number(arg('overlay-runs', '10')),
    register: (t) => { teardown = t; return () => { teardown = undefined; }; } });
  console.log(overlayTable(rows));
  const j = process.argv.indexOf('--json');
  if (j > 0) fs.writeFileSync(process.argv[j + 1], `${JSON.stringify(rows, null, 2)}\n`);
}
