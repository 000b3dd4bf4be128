/**
 * Multi-host overlay figures on a 2-host lab (test/helpers/cluster.ts: network namespaces
 * on an underlay switch, one etcd, one weft daemon per host; namespaces weft-t-*, temp
 * dirs weft-cluster-* / weft-test-*), all removed at the end, also on failure:
 *
 *   throughput   iperf3 TCP, host A -> host B over the plain underlay (their underlay
 *                addresses) and container on A -> container on B over a weft overlay
 *                network (VXLAN), same duration; Gbit/s at the receiver and their ratio.
 *                The containers are busybox, so the host's iperf3 runs in their netns.
 *   convergence  R times: a new container on B (static overlay IP, created untimed), then
 *                from the start request sent to B's daemon until a container on A gets an
 *                ICMP reply from it (first reply of a ping -i 0.002, timestamped by ping
 *                itself; the pinging container's ARP retransmit time is lowered to 10 ms,
 *                else an unanswered ARP is only retried after 1 s), and until B's endpoint
 *                appears in A's VXLAN neighbour table (ip -ts monitor in A's overlay
 *                namespace). The container is removed after each run.
 *
 *   node dist/scripts/bench/overlay.js [--iperf-seconds 5] [--iperf-runs 1] [--overlay-runs 10] [--json FILE]
 *
 * Does not use vitest: only TestCluster/TestDaemon (no assertions in them) are imported.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { TestCluster } from '../../test/helpers/cluster.js';
import { TestDaemon, waitFor } from '../../test/helpers/daemon.js';
import { pct } from './harness.js';
import { columns, f2 } from './table.js';

export interface OverlayRow {
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

const V = '/v1.50';
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
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function must(d: TestDaemon, method: string, p: string, body?: unknown): Promise<any> {
  return d.client.must(method, `${V}${p}`, `${method} ${p}`, body);
}

export async function benchOverlay(o: OverlayOptions): Promise<OverlayRow[]> {
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const procs = new Set<ChildProcess>();
  const containers: { d: TestDaemon; id: string }[] = [];
  let cluster: TestCluster | undefined;
  let destroying: Promise<void> | undefined;

  /** A process of ours (nsenter execs the tool in place: the pid is the tool's). */
  const start = (args: string[]): ChildProcess => {
    const p = spawn('nsenter', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stderr!.resume(); // drained even where nobody reads it (a full pipe would stall the tool)
    procs.add(p);
    p.on('exit', () => procs.delete(p));
    p.on('error', () => procs.delete(p));
    return p;
  };
  const exited = (p: ChildProcess, ms: number): Promise<boolean> => (p.exitCode !== null || p.signalCode !== null
    ? Promise.resolve(true)
    : new Promise((r) => {
      const t = setTimeout(() => r(false), ms);
      p.once('exit', () => { clearTimeout(t); r(true); });
    }));
  const killAll = async () => {
    for (const p of [...procs]) {
      if (p.pid && p.exitCode === null && p.signalCode === null) {
        try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
        await exited(p, 5000);
      }
    }
  };
  const startP = TestCluster.start({ hosts: 2 });
  /** Everything we made, once: our processes, our containers (through the API), the lab. */
  const teardown = (): Promise<void> => (destroying ??= (async () => {
    await killAll();
    const c = cluster ?? await startP.catch(() => undefined); // a failed start removed its own lab
    for (const { d, id } of containers.splice(0)) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([d.api('DELETE', `${V}/containers/${id}?force=1`).catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 15_000)))]);
      clearTimeout(timer);
    }
    await c?.destroy();
  })());
  const unregister = o.register?.(teardown);

  try {
    log('  starting a 2-host lab (etcd + 2 weft daemons in namespaces)');
    cluster = await startP;
    const [A, B] = cluster.hosts;
    log(`  lab: namespaces ${[cluster.underlay, ...cluster.hosts.map((h) => h.host)].map((n) => n.name).join(' ')}; etcd pid ${cluster.etcd?.pid}, daemons ${cluster.hosts.map((h) => h.child?.pid).join(' ')}`);
    const ulMtu = mtuOf(A.host.path, 'eth0');

    // -------------------------------------------------------------- the overlay and two long-lived containers
    await must(A, 'POST', '/networks/create', { Name: NET, Driver: 'overlay', IPAM: { Config: [{ Subnet: SUBNET }] } });
    await waitFor(async () => (await B.api('GET', `${V}/networks/${NET}`)).status === 200, `${NET} on B`);
    const vni = Number((await must(A, 'GET', `/networks/${NET}`)).Options['com.docker.network.driver.overlay.vxlanid_list']);
    const run = async (d: TestDaemon, name: string, ip: string, startIt = true): Promise<string> => {
      const c = await must(d, 'POST', `/containers/create?name=${name}`, {
        Image: 'busybox', Cmd: ['sleep', '100000'], HostConfig: { NetworkMode: NET },
        NetworkingConfig: { EndpointsConfig: { [NET]: { IPAMConfig: { IPv4Address: ip } } } },
      });
      containers.push({ d, id: c.Id });
      if (startIt) await must(d, 'POST', `/containers/${c.Id}/start`);
      return c.Id;
    };
    const sandbox = async (d: TestDaemon, id: string): Promise<string> => (await must(d, 'GET', `/containers/${id}/json`)).NetworkSettings.SandboxKey;
    const remove = async (d: TestDaemon, id: string) => {
      await must(d, 'DELETE', `/containers/${id}?force=1`);
      containers.splice(containers.findIndex((c) => c.id === id), 1);
    };
    const ctrA = await run(A, 'ovA', IP_A);
    const ctrB = await run(B, 'ovB', IP_B);
    const keyA = await sandbox(A, ctrA);
    const keyB = await sandbox(B, ctrB);
    const ovDev = routeDev(keyA, IP_B);
    const ovMtu = mtuOf(keyA, ovDev);
    await waitFor(() => spawnSync('nsenter', [`--net=${keyA}`, 'ping', '-c1', '-W1', IP_B]).status === 0, 'ovA to reach ovB', 20_000);
    log(`  overlay ${NET} (VNI ${vni}, ${SUBNET}); underlay MTU ${ulMtu}, overlay ${ovDev} MTU ${ovMtu}`);

    // -------------------------------------------------------------- throughput
    const iperf = async (what: string, serverNs: string, clientNs: string, serverIp: string): Promise<{ gbps: number; retr: number }> => {
      const srv = start([`--net=${serverNs}`, 'iperf3', '-s', '-1', '--forceflush']);
      let out = '';
      srv.stdout!.on('data', (d) => (out += d));
      srv.stderr!.on('data', (d) => (out += d));
      await waitFor(() => {
        if (srv.exitCode !== null) throw new Error(`iperf3 server exited: ${out}`);
        return out.includes('Server listening');
      }, 'iperf3 server', 10_000);
      const cli = start([`--net=${clientNs}`, 'iperf3', '-c', serverIp, '-t', String(o.iperfSeconds), '-J']);
      let json = '';
      cli.stdout!.on('data', (d) => (json += d));
      if (!(await exited(cli, (o.iperfSeconds + 30) * 1000))) throw new Error(`iperf3 client (${what}) did not finish`);
      if (!(await exited(srv, 5000))) srv.kill('SIGKILL');
      const j = JSON.parse(json) as { error?: string; end?: { sum_received?: { bits_per_second: number }; sum_sent?: { retransmits?: number } } };
      if (j.error || !j.end?.sum_received) throw new Error(`iperf3 ${what}: ${j.error ?? 'no result'}`);
      const r = { gbps: j.end.sum_received.bits_per_second / 1e9, retr: j.end.sum_sent?.retransmits ?? 0 };
      log(`  iperf3 ${what}: ${r.gbps.toFixed(2)} Gbit/s (receiver), ${r.retr} retransmits`);
      return r;
    };
    const ul: { gbps: number; retr: number }[] = [];
    const ov: { gbps: number; retr: number }[] = [];
    for (let i = 0; i < o.iperfRuns; i++) {
      ul.push(await iperf('underlay, host A -> host B', B.host.path, A.host.path, cluster.addr(1)));
      ov.push(await iperf('overlay, container A -> container B', keyB, keyA, IP_B));
    }
    const med = (xs: { gbps: number }[]) => pct(xs.map((x) => x.gbps), 50);
    const rows: OverlayRow[] = [];
    const tp = (what: string, xs: { gbps: number; retr: number }[], note: string) => rows.push({ what, unit: 'Gbit/s', value: med(xs), samples: xs.length,
      raw: xs.map((x) => Math.round(x.gbps * 1000) / 1000), note: `${note}; retransmits ${xs.map((x) => x.retr).join(', ')}` });
    tp('TCP throughput, underlay: host A -> host B', ul, `iperf3 -t ${o.iperfSeconds}, receiver side, ${cluster.addr(0)} -> ${cluster.addr(1)}, MTU ${ulMtu}`);
    tp('TCP throughput, overlay: container A -> container B', ov, `iperf3 -t ${o.iperfSeconds}, receiver side, ${IP_A} -> ${IP_B} over VXLAN (VNI ${vni}), MTU ${ovMtu}`);
    rows.push({ what: 'overlay / underlay throughput', unit: 'ratio', value: med(ov) / med(ul) });

    // -------------------------------------------------------------- convergence
    // Fast ARP retries in A's container: an unresolved neighbour is retried every 10 ms
    // (and re-resolved at once after it fails), so the probe sees B's entry within ~10 ms
    // of its programming rather than at the kernel's next 1 s retransmit.
    spawnSync('nsenter', [`--net=${keyA}`, 'sh', '-c', `echo ${ARP_RETRANS_MS} > /proc/sys/net/ipv4/neigh/${ovDev}/retrans_time_ms`]);
    const neigh = new Map<string, number>();
    const ovNs = `${A.runDir}/netns/ov-${vni}`;
    // -ts: ip's own receive time of each netlink event (local time, µs), not when we read it.
    const mon = start([`--net=${ovNs}`, 'ip', '-ts', 'monitor', 'neigh']);
    let monBuf = '';
    mon.stdout!.on('data', (d) => {
      monBuf += d;
      const lines = monBuf.split('\n');
      monBuf = lines.pop()!;
      for (const l of lines) {
        const m = /^\[(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)\.(\d+)\] (\d+\.\d+\.\d+\.\d+) dev vx-\d+ lladdr/.exec(l);
        if (!m || neigh.has(m[8])) continue;
        const [y, mo, da, h, mi, se] = m.slice(1, 7).map(Number);
        neigh.set(m[8], new Date(y, mo - 1, da, h, mi, se).getTime() + Number(`0.${m[7]}`) * 1000);
      }
    });
    await sleep(200);
    const reach: number[] = [];
    const afterReturn: number[] = [];
    const startCall: number[] = [];
    const table: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      const ip = runIp(i);
      const id = await run(B, `conv${i}`, ip, false);
      // ping -i 0.002 (while nothing answers it sends every ~5-10 ms); -D timestamps each
      // line; the first reply line ends it. No -c and no -w: with either, iputils ping
      // stops at the first error (the "Destination Host Unreachable" of a failed ARP
      // resolution), so the time limit is ours.
      const ping = start([`--net=${keyA}`, 'ping', '-D', '-n', '-i', '0.002', ip]);
      const limit = setTimeout(() => ping.kill('SIGKILL'), 30_000);
      let pout = '';
      let started!: () => void;
      const begun = new Promise<void>((r) => (started = r));
      const replied = new Promise<number>((resolve, reject) => {
        ping.stdout!.on('data', (d) => {
          pout += d;
          if (pout.includes('PING ')) started();
          const first = /^\[(\d+\.\d+)\] \d+ bytes from/m.exec(pout);
          if (first) resolve(Number(first[1]) * 1000);
        });
        ping.once('exit', () => {
          started();
          reject(new Error(`run ${i}: ${ip} on B never answered from A:\n${pout.slice(-500)}`));
        });
      });
      replied.catch(() => undefined);
      await begun;
      await sleep(20);
      const t0 = wall();
      await must(B, 'POST', `/containers/${id}/start`);
      const t1 = wall();
      const tr = await replied.finally(() => clearTimeout(limit));
      ping.kill('SIGKILL');
      await exited(ping, 5000);
      await waitFor(() => neigh.has(ip), `${ip} in A's neighbour table`, 5000).catch(() => undefined);
      reach.push(tr - t0);
      afterReturn.push(tr - t1);
      startCall.push(t1 - t0);
      if (neigh.has(ip)) table.push(neigh.get(ip)! - t0);
      const seq = /^\[[\d.]+\] \d+ bytes from .* icmp_seq=(\d+)/m.exec(pout)?.[1];
      log(`  convergence run ${i + 1}/${o.runs}: start sent -> reachable from A ${(tr - t0).toFixed(1)} ms (icmp_seq ${seq}; start call ${(t1 - t0).toFixed(1)} ms, neighbour on A at ${neigh.has(ip) ? (neigh.get(ip)! - t0).toFixed(1) : '?'} ms)`);
      await remove(B, id);
    }
    mon.kill('SIGKILL');
    const dist = (what: string, xs: number[], note?: string) => {
      if (xs.length) rows.push({ what, unit: 'ms', p50: pct(xs, 50), p90: pct(xs, 90), min: Math.min(...xs), max: Math.max(...xs), samples: xs.length, raw: xs.map((x) => Math.round(x * 10) / 10), ...(note ? { note } : {}) });
    };
    const early = afterReturn.filter((x) => x < 0).length;
    dist('convergence: start sent to B -> ICMP reply on A', reach, `ping from A's container every 2-10 ms (timestamps from ping -D), its ARP retransmit lowered to ${ARP_RETRANS_MS} ms (so ~10 ms resolution); `
      + `a new container (new IP) on B each run; reachable before B's start call returned in ${early} of ${reach.length} runs (the endpoint is joined and published before the process starts)`);
    dist('convergence: start sent to B -> neighbour entry on A\'s VXLAN device', table, 'ip -ts monitor neigh in A\'s overlay namespace (B publishes the endpoint in etcd, A\'s watch programs static FDB + neighbour on vx-<vni>)');
    dist('start call on B (request -> response), for reference', startCall, 'includes starting the container process after the network part');
    rows.push({ what: 'MTU: underlay / overlay interface', unit: 'bytes', raw: [ulMtu, ovMtu] });
    return rows;
  } finally {
    await teardown();
    unregister?.();
  }
}

function mtuOf(nsPath: string, dev: string): number {
  const r = spawnSync('nsenter', [`--net=${nsPath}`, 'ip', '-o', 'link', 'show', dev], { encoding: 'utf8' });
  return Number(/ mtu (\d+)/.exec(r.stdout)?.[1] ?? NaN);
}

function routeDev(nsPath: string, ip: string): string {
  const r = spawnSync('nsenter', [`--net=${nsPath}`, 'ip', '-o', 'route', 'get', ip], { encoding: 'utf8' });
  const dev = / dev (\S+)/.exec(r.stdout)?.[1];
  if (!dev) throw new Error(`no route to ${ip} in ${nsPath}: ${r.stdout}${r.stderr}`);
  return dev;
}

export function overlayTable(rows: OverlayRow[]): string {
  const body = rows.map((r) => {
    if (r.unit === 'ms') return [r.what, `${f2(r.p50)} ms`, `${f2(r.p90)} ms`, `${f2(r.min)}–${f2(r.max)} ms`, String(r.samples)];
    if (r.unit === 'bytes') return [r.what, (r.raw ?? []).join(' / '), '', '', ''];
    if (r.unit === 'ratio') return [r.what, f2(r.value), '', '', ''];
    return [r.what, `${f2(r.value)} Gbit/s`, '', (r.samples ?? 0) > 1 ? `${f2(Math.min(...r.raw!))}–${f2(Math.max(...r.raw!))}` : '', String(r.samples)];
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
  const rows = await benchOverlay({ iperfSeconds: Number(arg('iperf-seconds', '5')), iperfRuns: Number(arg('iperf-runs', '1')), runs: Number(arg('overlay-runs', '10')),
    register: (t) => { teardown = t; return () => { teardown = undefined; }; } });
  console.log(overlayTable(rows));
  const j = process.argv.indexOf('--json');
  if (j > 0) fs.writeFileSync(process.argv[j + 1], `${JSON.stringify(rows, null, 2)}\n`);
}
