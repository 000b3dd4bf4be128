/**
 * The overlay section's hand-made baselines, between the two lab host namespaces (their eth0
 * on the underlay switch), built with ip/bridge/wg and undone through OverlayLab.onTeardown:
 *   - a plain VXLAN device per host (static FDB entry and permanent neighbour for the other
 *     host, learning off, MTU underlay - 50): what weft's overlay is compared with;
 *   - a WireGuard tunnel per host with the implementation weft would pick (kernel
 *     `type wireguard` when the kernel has it, else wireguard-go, a process of ours ended by
 *     pid), keys from `wg genkey`, and a VXLAN device over it like the plain one: what weft's
 *     encrypted overlay (VXLAN whose VTEPs talk through WireGuard) is compared with.
 * Device and key names carry the `wfop` prefix and a random suffix (several benches may run).
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestCluster } from '../../test/helpers/cluster.js';
import { waitFor } from '../../test/helpers/daemon.js';
import type { LabNs } from '../../test/helpers/lab.js';
import type { OverlayLab } from './overlay-lab.js';

/** One hand-made path: where iperf3's server listens (in host B's namespace) and how it was built. */
export interface HandPath {
  serverIp: string;
  mtu: number;
  note: string;
}

const VXLAN_OVERHEAD = 50;
/** WireGuard's own MTU rule (wg-quick): 80 bytes below the underlay, room for an IPv6 outer header. */
const WG_OVERHEAD = 80;
const HAND_VNI = 77;
const HAND_VXLAN_PORT = 4790;
const WG_VXLAN_PORT = 4791;
/** Not WireGuard's usual 51820: weft's own WireGuard device listens there in the same host namespaces. */
const WG_PORT = 51_821;

const macOf = (ns: LabNs, dev: string) => ns.sh(`cat /sys/class/net/${dev}/address`).trim();

/**
 * A VXLAN device named dev in each host (index i: address net.(i+1)/24), VTEPs at locals[i],
 * over under[i], each with a static FDB entry and permanent neighbour for the other. Returns B's address.
 */
interface PairSpec { dev: string; locals: string[]; under: string[]; port: number; net: string; mtu: number }

function vxlanPair(lab: OverlayLab, hosts: LabNs[], o: PairSpec): string {
  const ip = (i: number) => `${o.net}.${i + 1}`;
  hosts.forEach((ns, i) => {
    lab.onTeardown(() => ns.try(`ip link del ${o.dev}`));
    ns.sh(`ip link add ${o.dev} type vxlan id ${HAND_VNI} local ${o.locals[i]} dev ${o.under[i]} dstport ${o.port} nolearning`
      + ` && ip link set ${o.dev} mtu ${o.mtu} up && ip addr add ${ip(i)}/24 dev ${o.dev}`);
  });
  hosts.forEach((ns, i) => {
    const j = 1 - i;
    const mac = macOf(hosts[j], o.dev);
    ns.sh(`bridge fdb add ${mac} dev ${o.dev} dst ${o.locals[j]} self permanent`
      + ` && ip neigh replace ${ip(j)} lladdr ${mac} dev ${o.dev} nud permanent`);
  });
  return ip(1);
}

export function handVxlan(lab: OverlayLab, cluster: TestCluster, ulMtu: number): HandPath {
  const hosts = cluster.hosts.map((h) => h.host);
  const mtu = ulMtu - VXLAN_OVERHEAD;
  const dev = `wfopvx${crypto.randomBytes(2).toString('hex')}`;
  const serverIp = vxlanPair(lab, hosts, { dev, locals: [cluster.addr(0), cluster.addr(1)], under: ['eth0', 'eth0'], port: HAND_VXLAN_PORT,
    net: '10.97.0', mtu });
  return { serverIp, mtu, note: `ip link add type vxlan between the host namespaces (VNI ${HAND_VNI}, port ${HAND_VXLAN_PORT}, `
    + `static FDB + permanent neighbour, learning off), MTU ${mtu}, no bridge or veth` };
}

/** Whether this kernel makes WireGuard devices (tried in host A's namespace, removed at once). */
function kernelWireguard(ns: LabNs): boolean {
  const ok = ns.try('ip link add wfopwgprobe type wireguard').code === 0;
  if (ok) ns.try('ip link del wfopwgprobe');
  return ok;
}

/** A WireGuard device named dev in ns: the kernel's, or a wireguard-go process of ours. */
async function wgDevice(lab: OverlayLab, ns: LabNs, dev: string, kernel: boolean): Promise<void> {
  if (kernel) {
    lab.onTeardown(() => ns.try(`ip link del ${dev}`));
    ns.sh(`ip link add ${dev} type wireguard`);
    return;
  }
  // wireguard-go's control socket is named by the device in the machine-wide run dir.
  const sock = `/var/run/wireguard/${dev}.sock`;
  lab.onTeardown(() => fs.rmSync(sock, { force: true }));
  const p = lab.spawn([`--net=${ns.path}`, 'wireguard-go', '-f', dev]);
  await waitFor(() => {
    if (p.exitCode !== null) throw new Error(`wireguard-go ${dev} exited with ${p.exitCode}`);
    return fs.existsSync(sock) && ns.try(`ip link show ${dev}`).code === 0;
  }, `wireguard-go ${dev}`, 10_000);
}

function wgKeys(dir: string, name: string): { priv: string; pub: string } {
  const run = (args: string[], input?: string) => {
    const r = spawnSync('wg', args, { encoding: 'utf8', input });
    if (r.status !== 0) throw new Error(`wg ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const key = run(['genkey']);
  const priv = path.join(dir, `${name}.key`);
  fs.writeFileSync(priv, `${key}\n`, { mode: 0o600 });
  return { priv, pub: run(['pubkey'], `${key}\n`) };
}

/** WireGuard between the two hosts (10.96.0.x), a VXLAN over it (10.95.0.x); B's VXLAN address. */
export async function handWireguard(lab: OverlayLab, cluster: TestCluster, ulMtu: number): Promise<HandPath> {
  const hosts = cluster.hosts.map((h) => h.host);
  const kernel = kernelWireguard(hosts[0]);
  const tag = crypto.randomBytes(2).toString('hex');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wfop-wg-'));
  lab.onTeardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const wgMtu = ulMtu - WG_OVERHEAD;
  const devs = hosts.map((_, i) => `wfopwg${tag}${'ab'[i]}`);
  const keys = devs.map((d) => wgKeys(dir, d));
  const tunnelIp = (i: number) => `10.96.0.${i + 1}`;
  for (const [i, ns] of hosts.entries()) {
    await wgDevice(lab, ns, devs[i], kernel);
    const j = 1 - i;
    ns.sh(`wg set ${devs[i]} private-key ${keys[i].priv} listen-port ${WG_PORT} peer ${keys[j].pub}`
      + ` endpoint ${cluster.addr(j)}:${WG_PORT} allowed-ips ${tunnelIp(j)}/32`
      + ` && ip addr add ${tunnelIp(i)}/24 dev ${devs[i]} && ip link set ${devs[i]} mtu ${wgMtu} up`);
  }
  const mtu = wgMtu - VXLAN_OVERHEAD;
  const serverIp = vxlanPair(lab, hosts, { dev: `wfopwx${tag}`, locals: [tunnelIp(0), tunnelIp(1)], under: devs, port: WG_VXLAN_PORT,
    net: '10.95.0', mtu });
  return { serverIp, mtu, note: `${kernel ? 'kernel WireGuard' : 'wireguard-go (the kernel has no WireGuard)'} between the host `
    + `namespaces (keys from wg genkey, MTU ${wgMtu}) with a VXLAN over it (VNI ${HAND_VNI}, static FDB, MTU ${mtu}), `
    + 'the same shape as weft\'s encrypted overlay (VXLAN whose VTEPs talk through WireGuard)' };
}
