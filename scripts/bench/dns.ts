/**
 * Embedded DNS latency, as a container sees it: the median round trip of a query for a
 * container name (answered by weft) and for an outside name (forwarded to a stand-in
 * upstream resolver in another lab namespace). Everything runs in throwaway namespaces
 * (weft-b-dns-*), removed at the end, also on failure.
 *
 *   node dist/scripts/bench/dns.js [--queries 500] [--json FILE]
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SocketClient } from '../../test/helpers/api.js';
import { CLI, REPO } from '../../test/helpers/daemon.js';
import { pct } from './harness.js';

export interface DnsRow { what: string; queries: number; p50: number; p90: number }

/** Sequential queries from inside nsPath; prints the latencies (ms) as JSON. */
const CLIENT = `
const dgram = require('dgram'), pkt = require('dns-packet');
const [name, n] = process.argv.slice(1);
const s = dgram.createSocket('udp4');
const out = [];
let i = 0, t0 = 0, id = 0;
const send = () => { t0 = process.hrtime.bigint(); id = (id + 1) & 0xffff;
  s.send(pkt.encode({ type: 'query', id, flags: pkt.RECURSION_DESIRED, questions: [{ type: 'A', name }] }), 53, '127.0.0.11'); };
s.on('message', (m) => { const r = pkt.decode(m); if (r.id !== id) return;
  if (!r.answers.length) { console.error('no answer for ' + name); process.exit(1); }
  out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  if (++i === Number(n)) { console.log(JSON.stringify(out)); process.exit(0); } send(); });
send();
`;

const UPSTREAM = `
const dgram = require('dgram'), pkt = require('dns-packet');
const s = dgram.createSocket('udp4');
s.on('message', (m, r) => { const q = pkt.decode(m);
  s.send(pkt.encode({ id: q.id, type: 'response', flags: pkt.RECURSION_AVAILABLE, questions: q.questions,
    answers: [{ type: 'A', name: q.questions[0].name, ttl: 60, data: '192.0.2.7' }] }), r.port, r.address); });
s.bind(53, '10.253.0.2', () => console.log('ready'));
`;

export async function benchDns(queries: number): Promise<DnsRow[]> {
  const tag = crypto.randomBytes(3).toString('hex');
  const host = `weft-b-dns-${tag}`;
  const up = `weft-b-dnsup-${tag}`;
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-bench-dns-'));
  const socket = path.join(base, 'run', 'weft.sock');
  const procs: ChildProcess[] = [];
  try {
    execFileSync('ip', ['netns', 'add', host]);
    execFileSync('ip', ['netns', 'add', up]);
    const sh = (ns: string, cmd: string) => execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', cmd]);
    sh(host, `ip link set lo up && ip link add wup type veth peer name eth0 netns ${up} `
      + '&& ip addr add 10.253.0.1/24 dev wup && ip link set wup up');
    sh(up, 'ip link set lo up && ip addr add 10.253.0.2/24 dev eth0 && ip link set eth0 up');
    const upstream = spawn('ip', ['netns', 'exec', up, process.execPath, '-e', UPSTREAM],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(upstream);
    await new Promise<void>((r) => upstream.stdout!.on('data', (d) => String(d).includes('ready') && r()));
    const daemon = spawn('nsenter', [`--net=/run/netns/${host}`, process.execPath, CLI, 'daemon', '--root', path.join(base, 'root'),
      '--run-dir', path.join(base, 'run'), '--log-level', 'warn', '--dns', '10.253.0.2'], { stdio: 'ignore' });
    procs.push(daemon);
    for (let i = 0; i < 400 && !fs.existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
    const api = new SocketClient(socket);
    await api.must('POST', '/networks/create', 'network create', { Name: 'bench', IPAM: { Config: [{ Subnet: '10.61.0.0/24' }] } });
    for (const name of ['target', 'asker']) {
      const spec = { Image: 'busybox', Cmd: ['sleep', '100000'], HostConfig: { NetworkMode: 'bench' } };
      await api.must('POST', `/containers/create?name=${name}`, 'container create', spec);
      await api.must('POST', `/containers/${name}/start`, 'container start');
    }
    const key = (await api.must('GET', '/containers/asker/json', 'container inspect')).NetworkSettings.SandboxKey as string;
    const rows: DnsRow[] = [];
    for (const [what, name] of [['container name (local answer)', 'target'], ['outside name (forwarded)', 'outside.example']] as const) {
      const r = spawnSync('nsenter', [`--net=${key}`, process.execPath, '-e', CLIENT, name, String(queries)],
        { cwd: REPO, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`dns client failed: ${r.stderr}`);
      const ms = JSON.parse(r.stdout) as number[];
      rows.push({ what, queries, p50: pct(ms, 50), p90: pct(ms, 90) });
    }
    for (const name of ['target', 'asker']) await api.request('DELETE', `/containers/${name}?force=1`).catch(() => undefined);
    return rows;
  } finally {
    for (const p of procs.reverse()) {
      if (p.pid) try { process.kill(p.pid, 'SIGTERM'); } catch { /* gone */ }
    }
    await new Promise((r) => setTimeout(r, 1500));
    for (const p of procs) if (p.pid && p.exitCode === null) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
    const pins = path.join(base, 'run', 'netns');
    for (const f of fs.existsSync(pins) ? fs.readdirSync(pins) : []) spawnSync('umount', ['-l', path.join(pins, f)]);
    spawnSync('ip', ['netns', 'del', host]);
    spawnSync('ip', ['netns', 'del', up]);
    fs.rmSync(base, { recursive: true, force: true });
  }
}

export function dnsTable(rows: DnsRow[]): string {
  const line = (r: DnsRow) => `${r.what.padEnd(34)} ${r.p50.toFixed(3).padStart(7)}  ${r.p90.toFixed(3).padStart(7)}`;
  return ['query                              p50 ms   p90 ms', ...rows.map(line)].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--queries');
  const rows = await benchDns(i > 0 ? Number(process.argv[i + 1]) : 500);
  console.log(dnsTable(rows));
  const j = process.argv.indexOf('--json');
  if (j > 0) fs.writeFileSync(process.argv[j + 1], JSON.stringify(rows, null, 2));
}
