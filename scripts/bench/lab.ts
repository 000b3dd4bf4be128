/**
 * The bench's throwaway lab and its cleanup. Everything a run makes is registered here:
 * network namespaces (weft-b-<tag>-*), temp dirs (weft-bench-*), child processes and the
 * measured systems' own teardown steps; cleanup() removes it all, also on failure and on
 * SIGINT/SIGTERM/SIGHUP. Nothing is created in the machine's own network namespace.
 */
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { log, sleep } from './harness.js';

const TAG = crypto.randomBytes(2).toString('hex');
const namespaces = new Set<string>();
const tmpDirs = new Set<string>();
/** Processes this run started; killed by pid at cleanup if still running. */
export const children = new Set<ChildProcess>();
/** Async teardown steps of the system being measured (remove its containers through its API). */
export const teardowns = new Set<() => Promise<void>>();

export function netns(name: string): string {
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

export function sh(ns: string, cmd: string): string {
  return execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], { encoding: 'utf8' });
}

export function tmp(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `weft-bench-${prefix}-`));
  tmpDirs.add(d);
  return d;
}

/** A "host" namespace with an "outside" namespace behind a veth: 10.250.0.1 (host) <-> .2. */
export function hostPair(name: string): { host: string; outside: string } {
  const host = netns(name);
  const outside = netns(`${name}o`);
  sh(host, `ip link add wout type veth peer name eth0 netns ${outside} && ip addr add 10.250.0.1/24 dev wout && ip link set wout up`);
  sh(outside, 'ip addr add 10.250.0.2/24 dev eth0 && ip link set eth0 up');
  return { host, outside };
}

export function alive(pid: number): boolean {
  try {
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z');
  } catch {
    return false;
  }
}

export async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  return !alive(pid);
}

/**
 * Processes this run started that outlived their parent: daemons, containerd, shims and
 * container processes. Found by pid: a command line naming one of our temp dirs (daemon
 * state, shim and container dirs all live there), plus all their descendants.
 */
export function leftovers(): number[] {
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
    for (const [pid, p] of procs) {
      if (!marked.has(pid) && marked.has(p.ppid)) {
        marked.add(pid);
        grew = true;
      }
    }
  }
  return [...marked];
}

/** Kill what we started (by pid), unmount what the daemons mounted, remove namespaces and temp dirs. */
export function cleanupSync(): void {
  for (const c of children) {
    if (c.pid && c.exitCode === null && c.signalCode === null) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  }
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
export function cleanup(): Promise<void> {
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

let interrupted = false;

/** After a signal: the handler cleans up and exits; the run itself goes no further. */
export async function checkInterrupted(): Promise<void> {
  if (interrupted) await new Promise<never>(() => undefined);
}

/** On SIGINT, SIGTERM or SIGHUP: clean up once, then exit 130. */
export function cleanUpOnSignals(): void {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (interrupted) return;
      interrupted = true;
      log(`\n${sig}: cleaning up`);
      cleanup().finally(() => process.exit(130)).catch(() => undefined);
    });
  }
}
