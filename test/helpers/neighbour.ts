/**
 * A neighbour of a test daemon's host namespace: its own namespace on a veth whose host end
 * is `hostIf`, with routes to the given prefixes via the host (direct routing, as a router
 * next to a Docker host would have). 127.0.0.0/8 in `routes` goes via the host too: the
 * neighbour keeps only 127.0.0.1/32 and may send loopback-addressed packets (route_localnet).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { TestDaemon } from './daemon.js';
import { makeNs, type LabNs } from './lab.js';

export interface Neighbour {
  ns: LabNs;
  /** The host's address on the link, and the neighbour's. */
  hostAddr: string;
  addr: string;
  hostIf: string;
}

export function addNeighbour(d: TestDaemon, o: { hostIf: string; link: string; routes: string[] }): Neighbour {
  const ns = makeNs(o.hostIf);
  const base = o.link.replace(/\.0\/24$/, '');
  const hostAddr = `${base}.1`;
  const addr = `${base}.2`;
  d.host.sh(`ip link add ${o.hostIf} type veth peer name eth0 netns ${ns.name} && ip link set ${o.hostIf} up
    ip addr add ${hostAddr}/24 dev ${o.hostIf}`);
  const loopback = o.routes.some((r) => r.startsWith('127.'));
  ns.sh(`ip addr add ${addr}/24 dev eth0 && ip link set eth0 up
    ${loopback ? `ip addr del 127.0.0.1/8 dev lo && ip addr add 127.0.0.1/32 dev lo
    sysctl -qw net.ipv4.conf.all.route_localnet=1 net.ipv4.conf.eth0.route_localnet=1` : ''}
    ${o.routes.map((r) => `ip route add ${r} via ${hostAddr} dev eth0`).join('\n')}`);
  return { ns, hostAddr, addr, hostIf: o.hostIf };
}

/**
 * A TCP server on port 7000 inside `nsPath` that answers with the address the connection
 * came from (IPv4-mapped addresses shown as IPv4), started once it listens.
 */
export async function startSourceEcho(nsPath: string): Promise<ChildProcess> {
  const server = `require('net').createServer((s) => s.end(s.remoteAddress.replace(/^::ffff:/, '')))
    .listen(7000, '::', () => console.log('ready'));`;
  const peer = spawn('nsenter', [`--net=${nsPath}`, process.execPath, '-e', server], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((resolve) => peer.stdout!.once('data', () => resolve()));
  return peer;
}
