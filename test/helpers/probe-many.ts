/**
 * Many HTTP GETs at once from one process inside a namespace: for each port of one address,
 * the body and headers that came back ('' when refused or silent). The fault campaign's
 * containers serve their name with busybox httpd; one process for all ports keeps a check
 * of a hundred published ports to one spawn per path.
 */
import { spawnSync } from 'node:child_process';

const SCRIPT = `
const net = require('net');
const [host, pathName, timeout, ...ports] = process.argv.slice(1);
const got = ports.map(() => '');
let left = ports.length;
const fin = () => { if (--left === 0) { console.log(JSON.stringify(got)); process.exit(0); } };
ports.forEach((p, i) => {
  const c = net.connect({ host, port: Number(p) }, () => c.write('GET ' + pathName + ' HTTP/1.0\\r\\n\\r\\n'));
  c.setTimeout(Number(timeout), () => c.destroy());
  c.on('data', (d) => { got[i] += d; });
  c.on('close', fin);
  c.on('error', () => {});
});`;

/** One GET per port (in parallel, one attempt and a retry for ports that gave nothing). */
export function probeMany(nsPath: string, host: string, ports: number[], pathName = '/n', timeoutMs = 2000): string[] {
  const once = (ps: number[]): string[] => {
    if (!ps.length) return [];
    const r = spawnSync('nsenter', [`--net=${nsPath}`, process.execPath, '-e', SCRIPT, host, pathName, String(timeoutMs), ...ps.map(String)],
      { encoding: 'utf8', timeout: timeoutMs + 10_000 });
    return JSON.parse(r.stdout?.trim() || JSON.stringify(ps.map(() => '')));
  };
  const first = once(ports);
  const again = ports.map((p, i) => (first[i] ? undefined : p)).filter((p): p is number => p !== undefined);
  const second = once(again);
  let k = 0;
  return first.map((a) => a || second[k++] || '');
}
