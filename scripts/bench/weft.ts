/**
 * weft itself: its daemon in a lab host namespace (one run per firewall backend), driven
 * through its Engine API socket; plus where its start goes, from the daemon's own log.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI } from '../../test/helpers/daemon.js';
import { engineFigures, type StartTimes } from './engine.js';
import { log, pct, record, results, rssMb } from './harness.js';
import { cleanupSync, hostPair, tmp } from './lab.js';
import { PROFILE, type Backend } from './options.js';
import { summarize, type ProfileSummary } from './profile.js';
import { startWeftDaemon } from './weft-daemon.js';

/** CPU profile summaries of the daemon runs (--profile), by system. */
export const profiles: Record<string, ProfileSummary> = {};

export async function benchWeft(backend: Backend): Promise<void> {
  const sys = `weft/${backend}`;
  log(`${sys}:`);
  const { outside, host } = hostPair(`w${backend.slice(0, 3)}`);
  const base = tmp('weft');
  const prof = PROFILE ? ['--cpu-prof', '--cpu-prof-dir', path.join(base, 'prof')] : [];
  const daemon = await startWeftDaemon(host, base, backend, prof);
  try {
    const cli = (args: string[]) => spawnSync(process.execPath, [CLI, '-H', `unix://${daemon.socket}`, ...args], { encoding: 'utf8' });
    const times = await engineFigures({ sys, api: daemon.api, outside, cli, rss: () => ({ mb: rssMb(daemon.pid) }),
      attachNote: 'includes the sandbox (netns) creation and starting the container process' });
    if (times.names.length) weftBreakdown(sys, daemon.logFile, times);
  } finally {
    await daemon.stop();
    if (PROFILE) keepProfile(sys, backend, path.join(base, 'prof'));
    cleanupSync();
  }
}

/** The daemon's .cpuprofile, copied to the working directory and summarised. */
function keepProfile(sys: string, backend: Backend, dir: string): void {
  const file = fs.existsSync(dir) ? fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile')) : undefined;
  if (!file) {
    log(`  ${sys}: no CPU profile written by the daemon`);
    return;
  }
  fs.copyFileSync(path.join(dir, file), `weft-daemon-${backend}.cpuprofile`);
  profiles[sys] = summarize(path.join(dir, file));
  log(`  ${sys}: daemon CPU profile written to weft-daemon-${backend}.cpuprofile`);
}

/**
 * Where weft's start goes, from the daemon's own log timestamps (ms resolution): from the
 * start request to "endpoint joined" (sandbox netns, veth, IPAM, bridge port, published
 * port rules, store writes) and from there to the response (hosts/resolv files, the
 * runtime's shim, mounts and exec).
 */
function weftBreakdown(sys: string, logFile: string, { startSent: sent, startDone: done, names }: StartTimes): void {
  const joined = new Map<string, number>();
  const started = new Map<string, number>();
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const e = JSON.parse(line) as { time: number; msg: string; container?: string; network?: string; sandbox?: string };
      if (e.msg === 'container started' && e.container) started.set(e.container, e.time);
      if (e.msg === 'endpoint joined' && e.network === 'bench' && e.sandbox) joined.set(e.sandbox, e.time);
    } catch { /* not JSON */ }
  }
  // Sandbox ids are container ids; match joins to starts in order (one join per start).
  const joins = [...joined.values()].sort((a, b) => a - b);
  const net: number[] = [];
  const proc: number[] = [];
  for (let i = 0; i < names.length; i++) {
    const j = joins.find((t) => t >= sent[i] && t <= done[i]);
    const s = started.get(names[i]);
    if (j === undefined || s === undefined) continue;
    net.push(j - sent[i]);
    proc.push(done[i] - j);
  }
  if (net.length < names.length / 2) {
    log(`  ${sys}: breakdown: log lines not matched, skipped`);
    return;
  }
  record(sys, 'attach-net', 'attach, network part (start request -> endpoint joined)', net,
    'from daemon log timestamps, 1 ms resolution: sandbox netns + veth + IPAM + port rules + store');
  results.breakdown[sys] = { startToJoinedP50: pct(net, 50), joinedToStartedP50: pct(proc, 50), samples: net.length };
  log(`  ${sys} breakdown: start -> endpoint joined p50 ${pct(net, 50)} ms, -> container running p50 ${pct(proc, 50)} ms`);
}
