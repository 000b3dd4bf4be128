/**
 * Throwaway namespaces for the firewall suite (`weft-fw-<tag>-<random>`), the ruleset
 * dumps the tests compare, and tiny TCP helpers for the traffic test. Every namespace
 * made here is tracked so destroyAll() removes it even when a test failed half-way;
 * every command runs inside one of them, never in the machine's own namespace.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';

export interface FwNs {
  name: string;
  path: string;
  /** Run a shell command inside the namespace; throws on failure. */
  sh(cmd: string): string;
  /** Run and report exit code and output without throwing. */
  try(cmd: string, timeoutMs?: number): { code: number; out: string };
  destroy(): void;
}

const live = new Set<FwNs>();
const children = new Set<ChildProcess>();

export function makeNs(tag: string): FwNs {
  const name = `weft-fw-${tag}-${crypto.randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', name]);
  const ns: FwNs = {
    name,
    path: `/run/netns/${name}`,
    sh(cmd) {
      return execFileSync('ip', ['netns', 'exec', name, 'sh', '-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    },
    try(cmd, timeoutMs = 15_000) {
      const r = spawnSync('ip', ['netns', 'exec', name, 'sh', '-c', cmd], { encoding: 'utf8', timeout: timeoutMs });
      return { code: r.status ?? -1, out: (r.stdout ?? '') + (r.stderr ?? '') };
    },
    destroy() {
      spawnSync('ip', ['netns', 'del', name]);
      live.delete(ns);
    },
  };
  live.add(ns);
  ns.sh('ip link set lo up');
  return ns;
}

/** Kill what we spawned (by pid) and delete every namespace made here. */
export function destroyAll(): void {
  for (const c of children) if (c.pid && c.exitCode === null) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  children.clear();
  for (const ns of [...live]) ns.destroy();
}

/** The ruleset as the backend's own tools print it, without timestamps and counters. */
export function dump(ns: FwNs, kind: 'iptables' | 'nftables'): string {
  if (kind === 'nftables') return ns.sh('nft --stateless list ruleset');
  const clean = (s: string) => s.split('\n').filter((l) => !l.startsWith('#')).join('\n').replace(/\[\d+:\d+\]/g, '[0:0]');
  return `${clean(ns.sh('iptables-save'))}\n--- ip6tables ---\n${clean(ns.sh('ip6tables-save'))}`;
}

/** A TCP server in ns that answers every connection with the peer address it sees. */
export function echoServer(ns: FwNs, port: number): ChildProcess {
  const code = `require('net').createServer((s) => s.end(s.remoteAddress + '\\n')).listen(${port}, '0.0.0.0')`;
  const c = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e', code], { stdio: 'ignore' });
  children.add(c);
  return c;
}

export function stop(c: ChildProcess | undefined): void {
  if (c?.pid && c.exitCode === null) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  if (c) children.delete(c);
}

/** Connect from ns to host:port; the server's answer, or undefined when it did not connect. */
export function tcpProbe(ns: FwNs, host: string, port: number, timeoutMs = 1500): string | undefined {
  const code = `const s = require('net').connect(${port}, '${host}'); let out = '';`
    + ` s.setTimeout(${timeoutMs}, () => process.exit(3)); s.on('data', (d) => out += d);`
    + ` s.on('end', () => { process.stdout.write(out); process.exit(0); }); s.on('error', () => process.exit(2));`;
  const r = spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, '-e', code], { encoding: 'utf8', timeout: timeoutMs + 5000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Poll fn until it returns something defined (or give up and return undefined). */
export async function eventually<T>(fn: () => T | undefined, tries = 30, delayMs = 100): Promise<T | undefined> {
  for (let i = 0; i < tries; i++) {
    const v = fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, delayMs));
  }
  return undefined;
}
