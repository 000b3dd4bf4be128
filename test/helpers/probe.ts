/**
 * TCP/UDP servers and clients for traffic tests, run with the host's node inside a given
 * network namespace (a container's SandboxKey, a lab namespace). The container image
 * (busybox) has no UDP tools; the namespace is what matters for the network path.
 * Every server answers "<proto>:<port>:<tag>" so a test sees who answered.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

const SERVER = `
const net = require('net'), dgram = require('dgram');
const [tag, ...specs] = process.argv.slice(1);
let pending = specs.length;
const ready = () => { if (--pending === 0) console.log('ready'); };
for (const spec of specs) {
  const [proto, port, host] = spec.split(':');
  const bindTo = host === 'v6' ? '::' : '0.0.0.0';
  if (proto === 'tcp') {
    net.createServer((s) => { s.on('error', () => {}); s.end(proto + ':' + port + ':' + tag + '\\n'); })
      .listen({ port: Number(port), host: bindTo, ipv6Only: false }, ready);
  } else {
    const u = dgram.createSocket(host === 'v6' ? 'udp6' : 'udp4');
    u.on('message', (m, r) => u.send(proto + ':' + port + ':' + tag + '\\n', r.port, r.address));
    u.bind(Number(port), bindTo, ready);
  }
}
`;

const CLIENT = `
const net = require('net'), dgram = require('dgram');
const [proto, host, port, srcPort, timeout] = process.argv.slice(1);
const done = (s) => { process.stdout.write(s); process.exit(0); };
setTimeout(() => done(''), Number(timeout));
if (proto === 'tcp') {
  const c = net.connect({ host, port: Number(port) });
  let got = '';
  c.on('data', (d) => got += d); c.on('end', () => done(got)); c.on('error', () => done(''));
} else {
  const u = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  u.on('message', (m) => done(String(m)));
  u.on('error', () => done(''));
  const send = () => u.send('hi', Number(port), host);
  if (Number(srcPort)) u.bind(Number(srcPort), send); else send();
}
`;

/** Start a server for specs like "tcp:80", "udp:53", "tcp:80:v6" (dual-stack bind). */
export async function startServer(nsPath: string, tag: string, specs: string[]): Promise<ChildProcess> {
  const p = spawn('nsenter', [`--net=${nsPath}`, process.execPath, '-e', SERVER, tag, ...specs], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    p.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('ready')) resolve();
    });
    p.stderr!.on('data', (d) => (out += d));
    p.on('exit', () => reject(new Error(`server exited: ${out}`)));
  });
  return p;
}

/** One request; returns the answer, or '' when nothing answered within the timeout. */
export function probe(nsPath: string, proto: 'tcp' | 'udp', host: string, port: number, o: { srcPort?: number; timeoutMs?: number } = {}): string {
  const r = spawnSync('nsenter', [`--net=${nsPath}`, process.execPath, '-e', CLIENT, proto, host, String(port), String(o.srcPort ?? 0), String(o.timeoutMs ?? 1500)], { encoding: 'utf8' });
  return (r.stdout ?? '').trim();
}

/** Many TCP requests from one process (a port range): returns the ports that answered. */
export function probeRange(nsPath: string, host: string, ports: number[]): number[] {
  const script = `
const net = require('net');
const [host, ...ports] = process.argv.slice(1);
const ok = [];
let left = ports.length;
for (const p of ports) {
  const c = net.connect({ host, port: Number(p) });
  let got = '';
  const fin = () => { if (got) ok.push(Number(p)); if (--left === 0) { console.log(JSON.stringify(ok.sort((a,b)=>a-b))); process.exit(0); } };
  c.setTimeout(3000, () => c.destroy());
  c.on('data', (d) => got += d); c.on('close', fin); c.on('error', () => {});
}`;
  const r = spawnSync('nsenter', [`--net=${nsPath}`, process.execPath, '-e', script, host, ...ports.map(String)], { encoding: 'utf8' });
  return JSON.parse(r.stdout.trim() || '[]');
}

export function kill(p: ChildProcess | undefined): void {
  if (p?.pid) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}
