/**
 * weft against its peers, in one run, on this machine: the CNI reference plugins
 * (bridge + host-local + portmap), netavark, and Docker itself (dockerd from Debian's
 * docker.io). Everything runs inside throwaway network namespaces (weft-b-*), removed at
 * the end, also on failure or Ctrl-C; nothing is created in the machine's own network
 * namespace (daemons and plugins are started with `nsenter --net=/run/netns/<ns>`).
 *
 *   sudo npm run bench -- [--n 100] [--systems weft,cni,weft-cni,weft-cni-daemon,netavark,docker]
 *                         [--backend nftables|iptables|both] [--json bench-results.json]
 *                         [--sections attach,network,e2e,ports,dns,overlay,metrics] [--skip-install]
 *                         [--overlay-runs 10] [--iperf-seconds 5] [--iperf-runs 5] [--profile]
 *   sudo npm run bench -- --compare a.json b.json
 *
 * Figures (each where the system can do it):
 *   attach     one container with one published TCP port on a user bridge network,
 *              p50/p90 over N containers, p50 of the first and the last 10;
 *   detach     its removal;
 *   CNI cycle  (cni, weft-cni exec'd, weft-cni through its daemon) ADD+DEL with one port at 1
 *              and at N attachments (cni-cycle.ts), with how many times faster than bridge+portmap;
 *   network    network create, network delete;
 *   memory     daemon RSS with N endpoints;
 *   e2e        `run -d -p` until the published port answers from another namespace;
 *   ports      (weft) firewall publish/unpublish at 1, 100, 1,000 published containers;
 *   dns        (weft) embedded DNS query latency;
 *   metrics    (weft, only when asked) one /metrics scrape at 100, 300 and 1,000 endpoints;
 *   overlay    (weft) on a 2-host lab: iperf3 TCP throughput over the underlay, hand-made
 *              VXLAN and WireGuard baselines, a weft overlay and an encrypted one, their
 *              ratios, and cross-host convergence of a new container.
 *
 * Files: harness (clock, percentiles, result rows), lab (namespaces, temp dirs, cleanup),
 * engine (the Engine API figures of weft and docker), one file per system (weft, docker,
 * cni, netavark; runner for the exec'd ones), one per weft-only section (ports, dns,
 * overlay, profile), report (tables, ratios, JSON), compare (two JSON results side by side).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { CNI, benchCni } from './cni.js';
import { compareTable } from './compare.js';
import { benchWeftCni } from './weft-cni.js';
import { benchDns } from './dns.js';
import { benchDocker } from './docker.js';
import { log, skip } from './harness.js';
import { checkInterrupted, cleanUpOnSignals, cleanup, teardowns } from './lab.js';
import { NETAVARK, benchNetavark } from './netavark.js';
import { BACKENDS, COMPARE, IPERF_RUNS, IPERF_SECONDS, N, OVERLAY_RUNS, SECTIONS, SKIP_INSTALL, SYSTEMS } from './options.js';
import { benchMetrics } from './metrics.js';
import { benchOverlay } from './overlay.js';
import { benchPorts } from './ports.js';
import { report, type Extra } from './report.js';
import { benchWeft } from './weft.js';

/** The Debian packages of the peers asked for, installed when missing (unless --skip-install). */
function install(): void {
  const want: [string, string][] = [['containernetworking-plugins', `${CNI}/portmap`], ['netavark', NETAVARK],
    ['docker.io', '/usr/sbin/dockerd'], ['busybox-static', '/bin/busybox']];
  const wanted = (pkg: string) => (pkg === 'docker.io' ? SYSTEMS.includes('docker') : pkg === 'netavark' ? SYSTEMS.includes('netavark')
    : pkg.startsWith('container') ? SYSTEMS.includes('cni') : true);
  const needed = want.filter(([pkg, f]) => wanted(pkg) && !fs.existsSync(f)).map(([p]) => p);
  if (!needed.length) return;
  if (SKIP_INSTALL) {
    log(`--skip-install: not installing ${needed.join(' ')}`);
    return;
  }
  log(`installing: ${needed.join(' ')}`);
  // POLICYRCD: invoke-rc.d must not start dockerd/containerd services in the machine's
  // own namespace during the install.
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', POLICYRCD: '/bin/false', RUNLEVEL: '1' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const aptInstall = (pkgs: string[]) => spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs],
    { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (aptInstall(needed).status === 0) return;
  for (const p of needed) {
    const r = aptInstall([p]);
    if (r.status !== 0) log(`  could not install ${p}: its system will be skipped`);
  }
}

/** The peer comparison: weft per backend, the exec'd peers, Docker. */
async function peers(): Promise<void> {
  // The per-backend daemon run only gives the attach, network and e2e figures.
  if (SYSTEMS.includes('weft') && ['attach', 'network', 'e2e'].some((s) => SECTIONS.includes(s))) {
    for (const b of BACKENDS) await benchWeft(b).finally(checkInterrupted);
  }
  if (SECTIONS.includes('attach')) {
    if (SYSTEMS.includes('cni')) await benchCni().finally(checkInterrupted);
    if (SYSTEMS.includes('weft-cni')) await benchWeftCni('exec').finally(checkInterrupted);
    if (SYSTEMS.includes('weft-cni-daemon')) await benchWeftCni('daemon').finally(checkInterrupted);
    if (SYSTEMS.includes('netavark')) await benchNetavark().finally(checkInterrupted);
  }
  if (SYSTEMS.includes('docker')) {
    try {
      await benchDocker();
    } catch (err) {
      await checkInterrupted();
      skip('docker', `failed: ${(err as Error).message}`);
    }
    await checkInterrupted();
  }
}

/** The weft-only sections. */
async function weftSections(extra: Extra): Promise<void> {
  if (!SYSTEMS.includes('weft')) return;
  if (SECTIONS.includes('ports')) {
    log('weft firewall publish/unpublish (in-process, both backends):');
    extra.ports = await benchPorts([1, 100, 1000], 20);
  }
  if (SECTIONS.includes('dns')) {
    log('weft embedded DNS:');
    extra.dns = await benchDns(500);
  }
  if (SECTIONS.includes('metrics')) {
    log('weft /metrics scrape cost (in-process, both backends):');
    extra.metrics = await benchMetrics([100, 300, 1000], 20);
  }
  if (SECTIONS.includes('overlay')) {
    log(`weft overlay, 2-host lab (iperf3 -t ${IPERF_SECONDS} x ${IPERF_RUNS}, ${OVERLAY_RUNS} convergence runs):`);
    extra.overlay = await benchOverlay({ iperfSeconds: IPERF_SECONDS, iperfRuns: IPERF_RUNS, runs: OVERLAY_RUNS, log,
      register: (t) => {
        teardowns.add(t);
        return () => teardowns.delete(t);
      } }).finally(checkInterrupted);
  }
}

async function main(): Promise<void> {
  if (COMPARE) {
    console.log(compareTable(COMPARE[0]!, COMPARE[1]!));
    return;
  }
  if (process.getuid?.() !== 0) throw new Error('run as root (it creates network namespaces)');
  install();
  log(`weft bench: N=${N}, systems ${SYSTEMS.join(',')}, weft firewall ${BACKENDS.join(',')}, sections ${SECTIONS.join(',')}`);
  const extra: Extra = {};
  const started = Date.now();
  try {
    await peers();
    await weftSections(extra);
  } finally {
    await cleanup();
  }
  report(extra, started);
}

cleanUpOnSignals();
main().catch(async (err) => {
  await checkInterrupted();
  console.error(err);
  await cleanup();
  process.exit(1);
});
