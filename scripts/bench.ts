/**
 * weft against its peers, in one run, on this machine: the CNI reference plugins
 * (bridge + host-local + portmap), netavark, and Docker itself (dockerd from Debian's
 * docker.io). Everything runs inside throwaway network namespaces (weft-b-*), removed at
 * the end, also on failure or Ctrl-C; nothing is created in the machine's own network
 * namespace (daemons and plugins are started with `nsenter --net=/run/netns/<ns>`).
 *
 *   sudo npm run bench -- [--n 100] [--systems weft,cni,netavark,docker]
 *                         [--backend nftables|iptables|both] [--json bench-results.json]
 *                         [--sections attach,network,e2e,ports,dns,overlay] [--skip-install]
 *                         [--overlay-runs 10] [--iperf-seconds 5] [--iperf-runs 1]
 *
 * Figures (each where the system can do it):
 *   attach     one container with one published TCP port on a user bridge network,
 *              p50/p90 over N containers, p50 of the first and the last 10;
 *   detach     its removal;
 *   network    network create, network delete;
 *   memory     daemon RSS with N endpoints;
 *   e2e        `run -d -p` until the published port answers from another namespace;
 *   ports      (weft) firewall publish/unpublish at 1, 100, 1,000 published containers;
 *   dns        (weft) embedded DNS query latency;
 *   overlay    (weft) on a 2-host lab: iperf3 TCP throughput over the underlay and over an
 *              overlay network, and cross-host convergence of a new container.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ensureBusyboxRootfs } from '../src/runtime/image.js';
import { benchDns, dnsTable } from './bench-dns.js';
import { benchOverlay, overlayTable } from './bench-overlay.js';
import { benchPorts, portsTable } from './bench-ports.js';
import { profileTable, summarize, type ProfileSummary } from './bench-profile.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CLI = path.join(REPO, 'dist/src/cli/main.js');
const CNI = '/usr/lib/cni';
const NETAVARK = '/usr/lib/podman/netavark';
const DOCKERD = '/usr/sbin/dockerd';

// ---------------------------------------------------------------------------- options

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] && !process.argv[i + 1].startsWith('--') ? process.argv[i + 1] : def;
}
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(`usage: sudo npm run bench -- [--n 100] [--systems weft,cni,netavark,docker]
       [--backend nftables|iptables|both] [--json bench-results.json]
       [--sections attach,network,e2e,ports,dns,overlay] [--e2e-runs 10] [--skip-install] [--profile]
       [--overlay-runs 10] [--iperf-seconds 5] [--iperf-runs 1]`);
  process.exit(0);
}
const N = Number(opt('n', '100'));
const SYSTEMS = opt('systems', 'weft,cni,netavark,docker').split(',');
const BACKENDS = (opt('backend', 'nftables') === 'both' ? ['nftables', 'iptables'] : [opt('backend', 'nftables')]) as ('nftables' | 'iptables')[];
const SECTIONS = opt('sections', 'attach,network,e2e,ports,dns,overlay').split(',');
const JSON_OUT = opt('json', 'bench-results.json');
const E2E_RUNS = Number(opt('e2e-runs', '10'));
const OVERLAY_RUNS = Number(opt('overlay-runs', '10'));
const IPERF_SECONDS = Number(opt('iperf-seconds', '5'));
const IPERF_RUNS = Number(opt('iperf-runs', '1'));
const NET_RUNS = 20;
const SKIP_INSTALL = process.argv.includes('--skip-install');
const PROFILE = process.argv.includes('--profile');
for (const b of BACKENDS) if (b !== 'nftables' && b !== 'iptables') throw new Error(`--backend: nftables, iptables or both, not ${b}`);
if (!Number.isInteger(N) || N < 1) throw new Error('--n: a positive integer');
for (const [flag, v] of [['overlay-runs', OVERLAY_RUNS], ['iperf-seconds', IPERF_SECONDS], ['iperf-runs', IPERF_RUNS]] as const) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${flag}: a positive integer`);
}

// ---------------------------------------------------------------------------- results

type Key = 'attach' | 'attach-net' | 'detach' | 'connect' | 'disconnect' | 'netcreate' | 'netdelete' | 'rss' | 'e2e';
interface Row {
  system: string;
  key: Key;
  figure: string;
  unit: 'ms' | 'MB';
  samples?: number;
  p50?: number;
  p90?: number;
  first10?: number;
  last10?: number;
  value?: number;
  note?: string;
  /** Every sample (ms, in order) when there are few (network create/delete, e2e). */
  raw?: number[];
  /** With more than 50 samples: the p50 of each tenth, in order (see tenths()). */
  trend?: number[];
}
const rows: Row[] = [];
const skipped: { system: string; reason: string }[] = [];
const breakdown: Record<string, Record<string, number>> = {};
let execFloorMs: number | undefined;
const profiles: Record<string, ProfileSummary> = {};

function pct(a: number[], p: number): number {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

function record(system: string, key: Key, figure: string, xs: number[], note?: string): void {
  if (!xs.length) return;
  rows.push({ system, key, figure, unit: 'ms', samples: xs.length, p50: pct(xs, 50), p90: pct(xs, 90), first10: pct(xs.slice(0, 10), 50), last10: pct(xs.slice(-10), 50), ...(note ? { note } : {}),
    ...(xs.length <= 50 ? { raw: xs.map((x) => Math.round(x * 100) / 100) } : { trend: tenths(xs) }) });
  log(`  ${system} ${figure}: p50 ${pct(xs, 50).toFixed(2)} ms (first 10 ${pct(xs.slice(0, 10), 50).toFixed(2)}, last 10 ${pct(xs.slice(-10), 50).toFixed(2)})`);
}

/** p50 of each tenth of the operations, in order: whether a figure drifts as N grows. */
function tenths(xs: number[]): number[] {
  return Array.from({ length: 10 }, (_, i) => xs.slice(Math.floor((i * xs.length) / 10), Math.floor(((i + 1) * xs.length) / 10)))
    .map((part) => Math.round(pct(part, 50) * 100) / 100);
}

function recordValue(system: string, key: Key, figure: string, value: number, note?: string): void {
  rows.push({ system, key, figure, unit: 'MB', value, ...(note ? { note } : {}) });
  log(`  ${system} ${figure}: ${value.toFixed(1)} MB`);
}

function skip(system: string, reason: string): void {
  skipped.push({ system, reason });
  log(`  ${system}: skipped: ${reason}`);
}

function log(s: string): void {
  process.stderr.write(`${s}\n`);
}

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------- lab and cleanup

const TAG = crypto.randomBytes(2).toString('hex');
const namespaces = new Set<string>();
const children = new Set<ChildProcess>();
const tmpDirs = new Set<string>();
/** Async teardown steps of the system being measured (remove its containers through its API). */
const teardowns = new Set<() => Promise<void>>();

function netns(name: string): string {
  const full = `weft-b-${TAG}-${name}`;
  execFileSync('ip', ['netns', 'add', full]);
  namespaces.add(full);
  execFileSync('ip', ['-n', full, 'link', 'set', 'lo', 'up']);
  return full;
}

function delNetns(full: string): void {
  spawnSync('ip', ['netns', 'del', full]);
  namespaces.delete(full);
}

function sh(ns: string, cmd: string): string {
  return execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], { encoding: 'utf8' });
}

function tmp(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `weft-bench-${prefix}-`));
  tmpDirs.add(d);
  return d;
}

/** A "host" namespace with an "outside" namespace behind a veth: 10.250.0.1 (host) <-> .2. */
function hostPair(name: string): { host: string; outside: string } {
  const host = netns(name);
  const outside = netns(`${name}o`);
  sh(host, `ip link add wout type veth peer name eth0 netns ${outside} && ip addr add 10.250.0.1/24 dev wout && ip link set wout up`);
  sh(outside, 'ip addr add 10.250.0.2/24 dev eth0 && ip link set eth0 up');
  return { host, outside };
}

function alive(pid: number): boolean {
  try {
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z');
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  return !alive(pid);
}

/**
 * Processes this run started that outlived their parent: daemons, containerd, shims and
 * container processes. Found by pid: a command line naming one of our temp dirs (daemon
 * state, shim and container dirs all live there), plus all their descendants.
 */
function leftovers(): number[] {
  if (!tmpDirs.size) return [];
  const procs = new Map<number, { ppid: number; cmd: string }>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8');
      const ppid = Number(/PPid:\s+(\d+)/.exec(fs.readFileSync(`/proc/${e}/status`, 'utf8'))?.[1]);
      procs.set(Number(e), { ppid, cmd });
    } catch { /* gone */ }
  }
  const marked = new Set<number>();
  for (const [pid, p] of procs) if (pid !== process.pid && [...tmpDirs].some((d) => p.cmd.includes(d))) marked.add(pid);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, p] of procs) if (!marked.has(pid) && marked.has(p.ppid)) { marked.add(pid); grew = true; }
  }
  return [...marked];
}

function cleanupSync(): void {
  for (const c of children) if (c.pid && c.exitCode === null && c.signalCode === null) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  for (let round = 0; round < 3; round++) {
    const left = leftovers();
    if (!left.length) break;
    for (const pid of left) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    spawnSync('sleep', ['0.3']);
  }
  // Mounts the weft daemon made in this mount namespace (sandbox netns pins), deepest first.
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter(Boolean)
    .filter((m) => [...tmpDirs].some((d) => m.startsWith(`${d}/`))).sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  for (const ns of [...namespaces]) delNetns(ns);
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
  tmpDirs.clear();
}

let cleaning: Promise<void> | undefined;
/** Once: the systems' own teardown (through their APIs), then everything by pid, mount and name. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const t of [...teardowns].reverse()) { // the latest first: containers before their daemon
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([t().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 60_000)))]);
      clearTimeout(timer);
      teardowns.delete(t);
    }
    cleanupSync();
  })();
  return cleaning;
}

/** After a signal: the handler cleans up and exits; the run itself goes no further. */
async function checkInterrupted(): Promise<void> {
  if (interrupted) await new Promise<never>(() => undefined);
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    log(`\n${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------- HTTP over a unix socket

interface Res { status: number; body: any }

function api(socket: string, method: string, p: string, body?: unknown, raw?: Buffer): Promise<Res> {
  return new Promise((resolve, reject) => {
    const data = raw ?? (body === undefined ? undefined : Buffer.from(JSON.stringify(body)));
    const headers: Record<string, string | number> = { Host: 'localhost' };
    if (data) Object.assign(headers, { 'Content-Type': raw ? 'application/x-tar' : 'application/json', 'Content-Length': data.length });
    const req = http.request({ socketPath: socket, method, path: p, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try { parsed = text ? JSON.parse(text) : text; } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function ok(r: Promise<Res>, what: string): Promise<any> {
  const x = await r;
  if (x.status >= 300 && x.status !== 304) throw new Error(`${what}: ${x.status} ${JSON.stringify(x.body)}`);
  return x.body;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function waitSocket(socket: string, what: string, child: ChildProcess, seconds = 60): Promise<void> {
  for (let i = 0; i < seconds * 10; i++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited early (${child.exitCode ?? child.signalCode})`);
    if (fs.existsSync(socket)) {
      try {
        if ((await api(socket, 'GET', '/_ping')).status === 200) return;
      } catch { /* not yet */ }
    }
    await sleep(100);
  }
  throw new Error(`${what} did not come up in ${seconds} s`);
}

/**
 * Wall-clock time (ms since the epoch) at which host:port first answers an HTTP request
 * from the outside namespace: a poller there connects every 2 ms.
 */
function pollAnswer(outside: string, host: string, port: number): { ready: Promise<void>; answered: Promise<number> } {
  const script = `const net=require('net');console.log('ready');const t=setInterval(()=>{const c=net.connect({host:'${host}',port:${port}});`
    + `c.on('connect',()=>{c.write('GET / HTTP/1.0\\r\\n\\r\\n')});c.on('data',()=>{console.log(Date.now());process.exit(0)});c.on('error',()=>{});c.setTimeout(500,()=>c.destroy())},2);setTimeout(()=>process.exit(1),30000);`;
  const p = spawn('nsenter', [`--net=/run/netns/${outside}`, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.add(p);
  let out = '';
  let ready!: () => void;
  const readyP = new Promise<void>((r) => (ready = r));
  p.stdout!.on('data', (d) => {
    out += d;
    if (out.includes('ready')) ready();
  });
  const answered = new Promise<number>((resolve, reject) => p.on('exit', (code) => {
    children.delete(p);
    ready();
    if (code === 0) resolve(Number(out.replace('ready', '').trim()));
    else reject(new Error(`port ${port} never answered`));
  }));
  return { ready: readyP, answered };
}

// ---------------------------------------------------------------------------- Docker-API systems (weft, dockerd)

/**
 * The figures both weft and dockerd can give through the same Engine API calls. Returns
 * the per-container times of the attach's start request (for weft's breakdown).
 */
async function engineFigures(sys: string, socket: string, prefix: string, outside: string, cliRun: (args: string[]) => { status: number | null; stderr: string }, rssOf: () => { mb: number; note?: string }, attachNote: string): Promise<{ startSent: number[]; startDone: number[]; names: string[] }> {
  const startSent: number[] = [];
  const startDone: number[] = [];
  const names: string[] = [];
  if (SECTIONS.includes('network')) {
    const create: number[] = [];
    const del: number[] = [];
    for (let i = 0; i < NET_RUNS; i++) {
      let t = now();
      const id = (await ok(api(socket, 'POST', `${prefix}/networks/create`, { Name: `n${i}`, Driver: 'bridge', IPAM: { Config: [{ Subnet: `10.111.${i}.0/24` }] } }), 'network create')).Id;
      create.push(now() - t);
      t = now();
      await ok(api(socket, 'DELETE', `${prefix}/networks/${id}`), 'network rm');
      del.push(now() - t);
    }
    record(sys, 'netcreate', 'network create (bridge, subnet)', create);
    record(sys, 'netdelete', 'network delete', del);
  }
  if (!SECTIONS.includes('attach') && !SECTIONS.includes('e2e')) return { startSent, startDone, names };
  await ok(api(socket, 'POST', `${prefix}/networks/create`, { Name: 'bench', Driver: 'bridge', IPAM: { Config: [{ Subnet: '10.100.0.0/16' }] } }), 'bench network');

  if (SECTIONS.includes('attach')) {
    const attach: number[] = [];
    const ids: string[] = [];
    teardowns.add(async () => {
      for (const id of ids) await api(socket, 'DELETE', `${prefix}/containers/${id}?force=1`).catch(() => undefined);
    });
    for (let i = 0; i < N; i++) {
      const t = now();
      const c = await ok(api(socket, 'POST', `${prefix}/containers/create?name=c${i}`, {
        Image: 'busybox', Cmd: ['sleep', '100000'], ExposedPorts: { '80/tcp': {} },
        HostConfig: { NetworkMode: 'bench', PortBindings: { '80/tcp': [{ HostPort: String(20000 + i) }] } },
      }), 'container create');
      ids.push(c.Id);
      names.push(`c${i}`);
      startSent.push(Date.now());
      await ok(api(socket, 'POST', `${prefix}/containers/${c.Id}/start`), 'container start');
      startDone.push(Date.now());
      attach.push(now() - t);
    }
    record(sys, 'attach', 'attach: create+start, 1 published port', attach, attachNote);
    const rss = rssOf();
    recordValue(sys, 'rss', `daemon RSS with ${N} endpoints`, rss.mb, rss.note);

    // Network only: connect/disconnect an already running container to a second network.
    await ok(api(socket, 'POST', `${prefix}/networks/create`, { Name: 'bench2', Driver: 'bridge', IPAM: { Config: [{ Subnet: '10.99.0.0/16' }] } }), 'bench2');
    const conn: number[] = [];
    const disc: number[] = [];
    for (let i = 0; i < Math.min(N, 100); i++) {
      let t = now();
      await ok(api(socket, 'POST', `${prefix}/networks/bench2/connect`, { Container: ids[i] }), 'network connect');
      conn.push(now() - t);
      t = now();
      await ok(api(socket, 'POST', `${prefix}/networks/bench2/disconnect`, { Container: ids[i] }), 'network disconnect');
      disc.push(now() - t);
    }
    record(sys, 'connect', `network connect of a running container (no port), ${N} running`, conn);
    record(sys, 'disconnect', 'network disconnect of a running container', disc);

    const detach: number[] = [];
    while (ids.length) {
      const id = ids.shift()!;
      const t = now();
      await ok(api(socket, 'DELETE', `${prefix}/containers/${id}?force=1`), 'container rm');
      detach.push(now() - t);
    }
    record(sys, 'detach', 'detach: rm -f', detach, 'includes killing the container process');
  }

  if (SECTIONS.includes('e2e')) {
    const e2e: number[] = [];
    const returned: number[] = [];
    const floor: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = Date.now();
      cliRun(['version']);
      floor.push(Date.now() - t);
    }
    for (let i = 0; i < E2E_RUNS; i++) {
      const port = 30000 + i;
      const poll = pollAnswer(outside, '10.250.0.1', port);
      await poll.ready;
      await sleep(20);
      const t = Date.now();
      const r = cliRun(['run', '-d', '--name', `e${i}`, '-p', `${port}:80`, '--network', 'bench', 'busybox', 'httpd', '-f', '-p', '80']);
      returned.push(Date.now() - t);
      if (r.status !== 0) throw new Error(`${sys} run failed: ${r.stderr}`);
      e2e.push((await poll.answered) - t);
      await ok(api(socket, 'DELETE', `${prefix}/containers/e${i}?force=1`), 'rm');
    }
    record(sys, 'e2e', 'e2e: `run -d -p` until the port answers', e2e,
      `the CLI returned after p50 ${pct(returned, 50)} ms; its bare start (\`version\`) takes p50 ${pct(floor, 50)} ms; answered from another namespace via the host namespace address`);
  }
  return { startSent, startDone, names };
}

// ---------------------------------------------------------------------------- weft

async function benchWeft(backend: 'nftables' | 'iptables'): Promise<void> {
  const sys = `weft/${backend}`;
  log(`${sys}:`);
  const { host, outside } = hostPair(`w${backend.slice(0, 3)}`);
  const base = tmp('weft');
  const socket = path.join(base, 'run', 'weft.sock');
  const logFile = path.join(base, 'daemon.log');
  const logFd = fs.openSync(logFile, 'a');
  const prof = PROFILE ? ['--cpu-prof', '--cpu-prof-dir', path.join(base, 'prof')] : [];
  const daemon = spawn('nsenter', [`--net=/run/netns/${host}`, process.execPath, ...prof, CLI, 'daemon', '--root', path.join(base, 'root'), '--run-dir', path.join(base, 'run'),
    '--firewall-backend', backend, '--log-level', 'info', '--firewall-check-interval', '0'], { stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  children.add(daemon);
  const stop = async () => {
    if (daemon.exitCode !== null || daemon.signalCode !== null) return;
    daemon.kill('SIGTERM');
    if (!(await waitGone(daemon.pid!, 10_000))) daemon.kill('SIGKILL');
  };
  teardowns.add(stop);
  try {
    await waitSocket(socket, 'weft daemon', daemon);
    const cli = (args: string[]) => spawnSync(process.execPath, [CLI, '-H', `unix://${socket}`, ...args], { encoding: 'utf8' });
    const { startSent, startDone, names } = await engineFigures(sys, socket, '', outside, cli, () => ({ mb: rssMb(daemon.pid!) }),
      'includes the sandbox (netns) creation and starting the container process');
    if (names.length) weftBreakdown(sys, logFile, startSent, startDone, names);
  } finally {
    await stop();
    teardowns.delete(stop);
    if (PROFILE) {
      const dir = path.join(base, 'prof');
      const file = fs.existsSync(dir) ? fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile')) : undefined;
      if (file) {
        fs.copyFileSync(path.join(dir, file), `weft-daemon-${backend}.cpuprofile`);
        profiles[sys] = summarize(path.join(dir, file));
        log(`  ${sys}: daemon CPU profile written to weft-daemon-${backend}.cpuprofile`);
      } else log(`  ${sys}: no CPU profile written by the daemon`);
    }
    cleanupSync();
  }
}

/**
 * Where weft's start goes, from the daemon's own log timestamps (ms resolution): from the
 * start request to "endpoint joined" (sandbox netns, veth, IPAM, bridge port, published
 * port rules, store writes) and from there to the response (hosts/resolv files, the
 * runtime's shim, mounts and exec).
 */
function weftBreakdown(sys: string, logFile: string, sent: number[], done: number[], names: string[]): void {
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
  if (net.length < names.length / 2) return log(`  ${sys}: breakdown: log lines not matched, skipped`);
  record(sys, 'attach-net', 'attach, network part (start request -> endpoint joined)', net,
    'from daemon log timestamps, 1 ms resolution: sandbox netns + veth + IPAM + port rules + store');
  breakdown[sys] = { startToJoinedP50: pct(net, 50), joinedToStartedP50: pct(proc, 50), samples: net.length };
  log(`  ${sys} breakdown: start -> endpoint joined p50 ${pct(net, 50)} ms, -> container running p50 ${pct(proc, 50)} ms`);
}

// ---------------------------------------------------------------------------- exec'd peers

/**
 * A long-lived process inside the peer's host namespace that execs the plugins on request
 * and times each exec itself (fork to exit), as containerd or podman exec them: no
 * nsenter/ip-netns-exec per operation in the figure.
 */
class Runner {
  private readonly p: ChildProcess;
  private readonly waiting: ((r: { ms: number; status: number; stdout: string; stderr: string }) => void)[] = [];
  static readonly SCRIPT = `const {spawnSync}=require('child_process');const rl=require('readline').createInterface({input:process.stdin});`
    + `rl.on('line',(l)=>{const r=JSON.parse(l);const t=process.hrtime.bigint();const p=spawnSync(r.bin,r.args,{input:r.input,env:r.env,encoding:'utf8',maxBuffer:1<<26});`
    + `const ms=Number(process.hrtime.bigint()-t)/1e6;process.stdout.write(JSON.stringify({ms,status:p.status===null?-1:p.status,stdout:p.stdout||'',stderr:(p.stderr||'')+(p.error?String(p.error):'')})+'\\n')});`;

  constructor(host: string) {
    this.p = spawn('nsenter', [`--net=/run/netns/${host}`, process.execPath, '-e', Runner.SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.add(this.p);
    readline.createInterface({ input: this.p.stdout! }).on('line', (l) => this.waiting.shift()?.(JSON.parse(l)));
  }

  exec(bin: string, args: string[], env: Record<string, string>, input = ''): Promise<{ ms: number; status: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.p.stdin!.write(`${JSON.stringify({ bin, args, env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...env }, input })}\n`);
    });
  }

  async must(bin: string, args: string[], env: Record<string, string>, input = ''): Promise<{ ms: number; stdout: string }> {
    const r = await this.exec(bin, args, env, input);
    if (r.status !== 0) throw new Error(`${path.basename(bin)} ${args.join(' ')} failed (${r.status}): ${r.stdout} ${r.stderr}`);
    return r;
  }

  close(): void {
    this.p.stdin!.end();
    children.delete(this.p);
  }
}

/** What one exec of a trivial binary costs from the runner: the floor under every peer figure. */
async function execFloor(runner: Runner): Promise<void> {
  if (execFloorMs !== undefined) return;
  const xs: number[] = [];
  for (let i = 0; i < 30; i++) xs.push((await runner.must('/bin/true', [], {})).ms);
  execFloorMs = pct(xs, 50);
  log(`  exec floor (/bin/true from the runner): p50 ${execFloorMs.toFixed(2)} ms`);
}

async function benchCni(): Promise<void> {
  const sys = 'cni';
  log(`${sys} (bridge + host-local + portmap ${cniVersion()}):`);
  if (!fs.existsSync(`${CNI}/bridge`) || !fs.existsSync(`${CNI}/portmap`)) return skip(sys, `${CNI}/bridge or portmap not installed (containernetworking-plugins)`);
  const host = netns('cni');
  const data = tmp('cni');
  const runner = new Runner(host);
  try {
    await execFloor(runner);
    const bridge = { cniVersion: '1.0.0', name: 'bench', type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: true,
      ipam: { type: 'host-local', subnet: '10.101.0.0/16', dataDir: path.join(data, 'ipam') } };
    const portmap = (i: number, prev: unknown) => ({ cniVersion: '1.0.0', name: 'bench', type: 'portmap', capabilities: { portMappings: true }, snat: true,
      runtimeConfig: { portMappings: [{ hostPort: 20000 + i, containerPort: 80, protocol: 'tcp' }] }, prevResult: prev });
    log(`  creating ${N} container namespaces (not timed)`);
    const ctrs = Array.from({ length: N }, (_, i) => netns(`c${i}`));
    const env = (cmd: string, i: number) => ({ CNI_COMMAND: cmd, CNI_CONTAINERID: `bench${i}`, CNI_NETNS: `/run/netns/${ctrs[i]}`, CNI_IFNAME: 'eth0', CNI_PATH: CNI });
    const attach: number[] = [];
    const results: unknown[] = [];
    for (let i = 0; i < N; i++) {
      const b = await runner.must(`${CNI}/bridge`, [], env('ADD', i), JSON.stringify(bridge));
      const prev = JSON.parse(b.stdout);
      const p = await runner.must(`${CNI}/portmap`, [], env('ADD', i), JSON.stringify(portmap(i, prev)));
      attach.push(b.ms + p.ms);
      results.push(JSON.parse(p.stdout));
    }
    record(sys, 'attach', 'attach: ADD bridge, ADD portmap (1 port)', attach, 'network only; the container netns exists already');
    const detach: number[] = [];
    for (let i = 0; i < N; i++) {
      // DEL in reverse chain order, each with the chain's result as prevResult (CNI 1.0).
      const p = await runner.must(`${CNI}/portmap`, [], env('DEL', i), JSON.stringify(portmap(i, results[i])));
      const b = await runner.must(`${CNI}/bridge`, [], env('DEL', i), JSON.stringify({ ...bridge, prevResult: results[i] }));
      detach.push(p.ms + b.ms);
    }
    record(sys, 'detach', 'detach: DEL portmap, DEL bridge', detach, 'network only');
  } finally {
    runner.close();
    cleanupSync();
  }
}

function cniVersion(): string {
  const r = spawnSync(`${CNI}/bridge`, [], { env: { CNI_COMMAND: 'VERSION' }, input: '{"cniVersion":"1.0.0"}', encoding: 'utf8' });
  const pkg = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'containernetworking-plugins'], { encoding: 'utf8' }).stdout;
  return r.status === 0 && pkg ? pkg : '';
}

async function benchNetavark(): Promise<void> {
  const sys = 'netavark';
  const version = fs.existsSync(NETAVARK) ? spawnSync(NETAVARK, ['--version'], { encoding: 'utf8' }).stdout.trim() : '';
  log(`${sys} (${version}):`);
  if (!version) return skip(sys, `${NETAVARK} not installed (netavark)`);
  const host = netns('nv');
  const config = tmp('nv');
  const runner = new Runner(host);
  try {
    await execFloor(runner);
    log(`  creating ${N} container namespaces (not timed)`);
    const ctrs = Array.from({ length: N }, (_, i) => netns(`v${i}`));
    // Static IPs: netavark does no IPAM of its own (podman allocates them).
    const opts = (i: number) => JSON.stringify({
      container_id: crypto.createHash('sha256').update(`c${i}`).digest('hex'), container_name: `c${i}`,
      networks: { bench: { interface_name: 'eth0', static_ips: [`10.102.${(i + 2) >> 8}.${(i + 2) & 255}`] } },
      network_info: { bench: { name: 'bench', id: '1'.repeat(64), driver: 'bridge', network_interface: 'podman1', subnets: [{ subnet: '10.102.0.0/16', gateway: '10.102.0.1' }],
        ipv6_enabled: false, internal: false, dns_enabled: false, ipam_options: { driver: 'host-local' } } },
      port_mappings: [{ host_ip: '', container_port: 80, host_port: 20000 + i, range: 1, protocol: 'tcp' }],
    });
    const run = (cmd: string, i: number) => runner.must(NETAVARK, ['--config', config, cmd, `/run/netns/${ctrs[i]}`], {}, opts(i));
    const attach: number[] = [];
    for (let i = 0; i < N; i++) attach.push((await run('setup', i)).ms);
    record(sys, 'attach', 'attach: setup (static IP, 1 port)', attach, 'network only; the container netns exists already');
    const detach: number[] = [];
    for (let i = 0; i < N; i++) detach.push((await run('teardown', i)).ms);
    record(sys, 'detach', 'detach: teardown', detach, 'network only');
  } finally {
    runner.close();
    cleanupSync();
  }
}

// ---------------------------------------------------------------------------- Docker

async function benchDocker(): Promise<void> {
  const sys = 'docker';
  const version = fs.existsSync(DOCKERD) ? spawnSync(DOCKERD, ['--version'], { encoding: 'utf8' }).stdout.trim() : '';
  log(`${sys} (${version}):`);
  if (!version) return skip(sys, `${DOCKERD} not installed (docker.io)`);
  const { host, outside } = hostPair('dk');
  const base = tmp('docker');
  const socket = path.join(base, 'docker.sock');
  const pidfile = path.join(base, 'docker.pid');
  const logFd = fs.openSync(path.join(base, 'dockerd.log'), 'a');
  // Its own mount namespace too, so its mounts never show in the machine's mount table;
  // its own containerd (no --containerd), state and exec roots in the temp dir.
  const dockerd = spawn('nsenter', [`--net=/run/netns/${host}`, 'unshare', '--mount', '--propagation', 'private', DOCKERD,
    '--data-root', path.join(base, 'data'), '--exec-root', path.join(base, 'exec'), '--pidfile', pidfile,
    '-H', `unix://${socket}`, '--storage-driver', 'vfs', '--config-file', path.join(base, 'daemon.json')], { stdio: ['ignore', logFd, logFd] });
  fs.writeFileSync(path.join(base, 'daemon.json'), '{}');
  fs.closeSync(logFd);
  children.add(dockerd);
  const dockerdPid = () => (fs.existsSync(pidfile) ? Number(fs.readFileSync(pidfile, 'utf8')) : 0);
  const stop = async () => {
    const pid = dockerdPid();
    if (pid && alive(pid)) {
      process.kill(pid, 'SIGTERM');
      if (!(await waitGone(pid, 20_000))) process.kill(pid, 'SIGKILL');
    }
  };
  teardowns.add(stop);
  try {
    try {
      await waitSocket(socket, 'dockerd', dockerd, 60);
    } catch (err) {
      const tail = fs.readFileSync(path.join(base, 'dockerd.log'), 'utf8').trim().split('\n').slice(-3).join(' | ');
      return skip(sys, `${(err as Error).message}: ${tail}`);
    }
    const v = '/v1.41';
    const rootfs = ensureBusyboxRootfs(path.join(base, 'busybox'));
    const tar = execFileSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 64 << 20 });
    await ok(api(socket, 'POST', `${v}/images/create?fromSrc=-&repo=busybox&tag=latest`, undefined, tar), 'docker import busybox');
    const cli = (args: string[]) => (fs.existsSync('/usr/bin/docker')
      ? spawnSync('/usr/bin/docker', args, { encoding: 'utf8', env: { PATH: process.env.PATH, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: base } })
      : { status: 1, stderr: 'no docker CLI' });
    const rss = () => {
      const pid = dockerdPid();
      const containerd = leftovers().filter((p) => { try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('containerd\0'); } catch { return false; } });
      const extra = containerd.reduce((s, p) => s + rssMb(p), 0);
      return { mb: rssMb(pid), note: `dockerd only; its containerd adds ${extra.toFixed(1)} MB, not counting the ${N} containerd-shims` };
    };
    await engineFigures(sys, socket, v, outside, cli, rss, 'includes containerd/runc creating the container and its netns');
  } finally {
    await stop();
    teardowns.delete(stop);
    cleanupSync();
  }
}

// ---------------------------------------------------------------------------- main

function install(): void {
  const want: [string, string][] = [['containernetworking-plugins', `${CNI}/portmap`], ['netavark', NETAVARK], ['docker.io', DOCKERD], ['busybox-static', '/bin/busybox']];
  const needed = want.filter(([pkg, f]) => (pkg === 'docker.io' ? SYSTEMS.includes('docker') : pkg === 'netavark' ? SYSTEMS.includes('netavark') : pkg.startsWith('container') ? SYSTEMS.includes('cni') : true) && !fs.existsSync(f)).map(([p]) => p);
  if (!needed.length) return;
  if (SKIP_INSTALL) return log(`--skip-install: not installing ${needed.join(' ')}`);
  log(`installing: ${needed.join(' ')}`);
  // POLICYRCD: invoke-rc.d must not start dockerd/containerd services in the machine's
  // own namespace during the install.
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', POLICYRCD: '/bin/false', RUNLEVEL: '1' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const all = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...needed], { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (all.status === 0) return;
  for (const p of needed) {
    const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', p], { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (r.status !== 0) log(`  could not install ${p}: its system will be skipped`);
  }
}

const f2 = (x?: number) => (x === undefined || Number.isNaN(x) ? '' : x < 10 ? x.toFixed(2) : x.toFixed(1));

function table(): string {
  const head = ['system', 'figure', 'p50', 'p90', 'first10', 'last10', 'last/first'];
  const body: string[][] = [];
  for (const r of rows) {
    body.push([r.system, r.figure, r.value !== undefined ? `${f2(r.value)} MB` : f2(r.p50), f2(r.p90), f2(r.first10), f2(r.last10),
      r.first10 && r.last10 && (r.samples ?? 0) >= 20 ? (r.last10 / r.first10).toFixed(2) : '']);
  }
  for (const s of skipped) body.push([s.system, `skipped: ${s.reason}`, '', '', '', '', '']);
  const notes = rows.filter((r) => r.note && (r.key === 'e2e' || r.key === 'rss')).map((r) => `${r.system} ${r.key}: ${r.note}`);
  return [columns(head, body), '', 'times in ms; first10/last10 = p50 of the first/last 10 operations; last/first = their ratio (N >= 20).', ...notes].join('\n');
}

/** weft figure -> the peer figure it is compared with. */
const COMPARE: [Key, Key, string][] = [
  ['attach', 'attach', 'attach (weft: create+start)'],
  ['attach-net', 'attach', 'attach, network part only'],
  ['detach', 'detach', 'detach'],
  ['connect', 'connect', 'network connect'],
  ['disconnect', 'disconnect', 'network disconnect'],
  ['netcreate', 'netcreate', 'network create'],
  ['netdelete', 'netdelete', 'network delete'],
  ['rss', 'rss', `daemon RSS, ${N} endpoints`],
  ['e2e', 'e2e', 'e2e run -d -p -> answer'],
];

function ratios(): string {
  const wefts = [...new Set(rows.filter((r) => r.system.startsWith('weft')).map((r) => r.system))];
  const peers = [...new Set(rows.filter((r) => !r.system.startsWith('weft')).map((r) => r.system))];
  if (!wefts.length || !peers.length) return '';
  const body: string[][] = [];
  for (const w of wefts) {
    for (const [wk, pk, label] of COMPARE) {
      const wr = rows.find((x) => x.system === w && x.key === wk);
      if (!wr) continue;
      const cells = peers.map((p) => {
        // Docker's attach includes its container start like weft's; only the exec'd peers are network-only.
        if (wk === 'attach-net' && p === 'docker') return '';
        const pr = rows.find((x) => x.system === p && x.key === pk);
        if (!pr) return '';
        if (wr.value !== undefined && pr.value !== undefined) return (wr.value / pr.value).toFixed(2);
        if (wr.p50 === undefined || !pr.p50) return '';
        const last = wr.last10 !== undefined && pr.last10 && (wr.samples ?? 0) >= 20 ? ` (${(wr.last10 / pr.last10).toFixed(2)})` : '';
        return `${(wr.p50 / pr.p50).toFixed(2)}${last}`;
      });
      if (cells.some(Boolean)) body.push([w, label, ...cells]);
    }
  }
  return [columns(['weft/peer', 'figure', ...peers], body), '',
    'ratio of p50s (in brackets: of last-10 p50s); below 1 means weft is faster or smaller.'].join('\n');
}

function columns(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cols: string[]) => cols.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(head), ...body.map(line)].join('\n');
}

function harness(): string {
  return [
    'weft and dockerd are driven through their Docker Engine API sockets (HTTP over a unix socket from this process, in the root namespace; no exec per operation); their attach includes creating the container\'s netns (weft: the sandbox) and starting its process, detach includes killing it.',
    `The CNI plugins and netavark are exec'd per operation, as containerd/podman exec them, by a runner process that lives in their host namespace and times fork-to-exit itself (no nsenter/ip netns exec per operation; exec floor of /bin/true from the runner: ${execFloorMs === undefined ? 'n/a' : `${execFloorMs.toFixed(2)} ms`}); their container netns are created before and outside the timed region, so their figures are network setup only.`,
    'attach-net rows compare network setup alone: for weft, from its daemon\'s log timestamps (start request to "endpoint joined", which still includes creating the sandbox netns).',
    'e2e: the CLI (weft/docker) is a new process per run; the time runs from spawning it to the first HTTP answer seen by a poller (TCP connect every 2 ms) in another namespace, through the host namespace\'s address.',
  ].join('\n');
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root (it creates network namespaces)');
  install();
  log(`weft bench: N=${N}, systems ${SYSTEMS.join(',')}, weft firewall ${BACKENDS.join(',')}, sections ${SECTIONS.join(',')}`);
  const extra: Record<string, unknown> = {};
  const started = Date.now();
  try {
    // The per-backend daemon run only gives the attach, network and e2e figures.
    if (SYSTEMS.includes('weft') && ['attach', 'network', 'e2e'].some((s) => SECTIONS.includes(s))) for (const b of BACKENDS) await benchWeft(b).finally(checkInterrupted);
    if (SECTIONS.includes('attach')) {
      if (SYSTEMS.includes('cni')) await benchCni().finally(checkInterrupted);
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
    if (SYSTEMS.includes('weft') && SECTIONS.includes('ports')) {
      log('weft firewall publish/unpublish (in-process, both backends):');
      extra.ports = await benchPorts([1, 100, 1000], 20);
    }
    if (SYSTEMS.includes('weft') && SECTIONS.includes('dns')) {
      log('weft embedded DNS:');
      extra.dns = await benchDns(500);
    }
    if (SYSTEMS.includes('weft') && SECTIONS.includes('overlay')) {
      log(`weft overlay, 2-host lab (iperf3 -t ${IPERF_SECONDS} x ${IPERF_RUNS}, ${OVERLAY_RUNS} convergence runs):`);
      extra.overlay = await benchOverlay({ iperfSeconds: IPERF_SECONDS, iperfRuns: IPERF_RUNS, runs: OVERLAY_RUNS, log,
        register: (t) => { teardowns.add(t); return () => teardowns.delete(t); } }).finally(checkInterrupted);
    }
  } finally {
    await cleanup();
  }
  console.log(`\nweft bench, N=${N}, ${new Date().toISOString()}, ${os.cpus().length} CPUs, kernel ${os.release()}, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  if (rows.length || skipped.length) console.log(`${table()}\n`);
  const r = ratios();
  if (r) console.log(`${r}\n`);
  for (const [sys, b] of Object.entries(breakdown)) {
    console.log(`${sys} start breakdown (p50, daemon log): request -> endpoint joined ${b.startToJoinedP50} ms, endpoint joined -> container running ${b.joinedToStartedP50} ms`);
  }
  for (const [sys, p] of Object.entries(profiles)) console.log(`\n${profileTable(`${sys} daemon CPU profile (whole daemon run)`, p)}`);
  if (extra.ports) console.log(`\n${portsTable(extra.ports as Parameters<typeof portsTable>[0])}`);
  if (extra.dns) console.log(`\n${dnsTable(extra.dns as Parameters<typeof dnsTable>[0])}`);
  if (extra.overlay) console.log(`\n${overlayTable(extra.overlay as Parameters<typeof overlayTable>[0])}`);
  console.log(`\nharness overhead:\n${harness()}`);
  fs.writeFileSync(JSON_OUT, `${JSON.stringify({ n: N, backends: BACKENDS, systems: SYSTEMS, date: new Date().toISOString(), cpus: os.cpus().length, kernel: os.release(),
    harness: harness(), execFloorMs, rows, skipped, breakdown, profiles, ...extra }, null, 2)}\n`);
  console.log(`\nresults written to ${JSON_OUT}`);
}

main().catch(async (err) => {
  await checkInterrupted();
  console.error(err);
  await cleanup();
  process.exit(1);
});
