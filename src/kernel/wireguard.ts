/**
 * One WireGuard device in the daemon's namespace: kernel WireGuard when the kernel has it,
 * else wireguard-go (userspace, over /dev/net/tun) as a child process of the daemon. Either
 * is configured the same way, with `wg set` (which talks to the kernel or to wireguard-go's
 * UAPI socket in /var/run/wireguard/<name>.sock — so device names are unique per host, not
 * per namespace). Keys are Curve25519, made with node's crypto; the private key lives in a
 * 0600 file the device reads it from.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Rtnl } from './rtnl.js';

const run = promisify(execFile);
export const WG_PORT = 51820;
/** WireGuard over IPv6: outer IP 40 + UDP 8 + WireGuard 32 (wg-quick's figure: 1500 -> 1420). */
export const WG_OVERHEAD = 80;
/** Tunnel addresses: one per host, in the shared address space (RFC 6598), routed over the device. */
const TUNNEL_NET = 0x64400000; // 100.64.0.0
const TUNNEL_PREFIX = 10;

export type WireguardImpl = 'kernel' | 'wireguard-go';

export interface WireguardPeer {
  publicKey: string;
  /** Underlay address of the peer (UDP to WG_PORT). */
  endpoint: string;
  /** The peer's tunnel address (allowed IP /32). */
  tunnelAddr: string;
}

/** PKCS#8 prefix of a raw X25519 private key (RFC 8410). */
const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');

export function generatePrivateKey(): string {
  const { privateKey } = crypto.generateKeyPairSync('x25519');
  return Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url').toString('base64');
}

export function publicKeyOf(privateKey: string): string {
  const raw = Buffer.from(privateKey, 'base64');
  if (raw.length !== 32) throw new Error('a WireGuard key is 32 bytes');
  const key = crypto.createPrivateKey({ key: Buffer.concat([X25519_PKCS8, raw]), format: 'der', type: 'pkcs8' });
  return Buffer.from(crypto.createPublicKey(key).export({ format: 'jwk' }).x!, 'base64url').toString('base64');
}

/** Write a private key file (0600), atomically: a reader sees the old key or the new one. */
export function writeKeyFile(file: string, privateKey: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, `${privateKey}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** The key in file, or a new one written there. */
export function loadOrCreateKey(file: string): string {
  try {
    const key = fs.readFileSync(file, 'utf8').trim();
    publicKeyOf(key);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = generatePrivateKey();
  writeKeyFile(file, key);
  return key;
}

/** A host's tunnel address from its id: 22 bits of its hash, never the net or broadcast address. */
export function tunnelAddrOf(hostId: string): string {
  const span = 2 ** (32 - TUNNEL_PREFIX) - 2;
  const n = TUNNEL_NET + 1 + (crypto.createHash('sha256').update(hostId).digest().readUInt32BE(0) % span);
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** `wg set` arguments that add or update a peer. */
export function peerArgs(p: WireguardPeer): string[] {
  const host = p.endpoint.includes(':') ? `[${p.endpoint}]` : p.endpoint;
  return ['peer', p.publicKey, 'endpoint', `${host}:${WG_PORT}`, 'allowed-ips', `${p.tunnelAddr}/32`, 'persistent-keepalive', '25'];
}

/**
 * End a wireguard-go an earlier life of the daemon left running (its pid in pidFile), and wait
 * until it is gone: its UAPI socket and device go with it.
 */
export async function endStrayWireguardGo(pidFile: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  } catch {
    return false;
  }
  fs.rmSync(pidFile, { force: true });
  // Only if that pid is still a wireguard-go (pids are reused).
  const cmdline = fs.existsSync(`/proc/${pid}/cmdline`) ? fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
  if (!Number.isInteger(pid) || pid < 2 || !cmdline.split('\0')[0]?.endsWith('wireguard-go')) return false;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 40 && fs.existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 50));
  if (fs.existsSync(`/proc/${pid}`)) process.kill(pid, 'SIGKILL');
  return true;
}

/** Which implementation this host can use, if any: a kernel device is tried for real. */
export async function detectWireguard(host: Rtnl, probeName: string): Promise<WireguardImpl | undefined> {
  try {
    await host.createLink(probeName, 'wireguard', undefined);
    await host.deleteLink(probeName);
    return 'kernel';
  } catch {
    // no module: userspace below
  }
  const hasGo = (process.env.PATH ?? '/usr/bin').split(':').some((d) => fs.existsSync(path.join(d, 'wireguard-go')));
  return hasGo && fs.existsSync('/dev/net/tun') ? 'wireguard-go' : undefined;
}

export interface DeviceOptions {
  host: Rtnl;
  name: string;
  impl: WireguardImpl;
  mtu: number;
  /** "ip/prefix" is derived: the tunnel address within the tunnel net. */
  tunnelAddr: string;
  keyFile: string;
  pidFile: string;
}

export class WireguardDevice {
  private constructor(private readonly o: DeviceOptions, private readonly child?: ChildProcess) {}

  /** Create the device, give it its key, port and tunnel address, and bring it up. */
  static async create(o: DeviceOptions): Promise<WireguardDevice> {
    await o.host.deleteLink(o.name);
    let child: ChildProcess | undefined;
    if (o.impl === 'kernel') await o.host.createLink(o.name, 'wireguard', undefined, { mtu: o.mtu });
    else child = await startWireguardGo(o);
    const dev = new WireguardDevice(o, child);
    try {
      await dev.wg(['private-key', o.keyFile, 'listen-port', String(WG_PORT)]);
      const link = await o.host.requireLink(o.name);
      await o.host.setLink(link.index, { mtu: o.mtu, up: true });
      await o.host.addAddress(link.index, `${o.tunnelAddr}/${TUNNEL_PREFIX}`);
      return dev;
    } catch (err) {
      await dev.close();
      throw err;
    }
  }

  async setPeer(p: WireguardPeer): Promise<void> {
    await this.wg(peerArgs(p));
  }

  async removePeer(publicKey: string): Promise<void> {
    await this.wg(['peer', publicKey, 'remove']);
  }

  /** Read the key file again (after a rotation). */
  async reloadKey(): Promise<void> {
    await this.wg(['private-key', this.o.keyFile]);
  }

  async close(): Promise<void> {
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(this.o.pidFile, { force: true });
    await this.o.host.deleteLink(this.o.name);
  }

  private async wg(args: string[]): Promise<void> {
    await run('wg', ['set', this.o.name, ...args]);
  }
}

/** wireguard-go in the foreground (so its pid is the device's), recorded in the pid file. */
async function startWireguardGo(o: DeviceOptions): Promise<ChildProcess> {
  const child = spawn('wireguard-go', ['-f', o.name], { stdio: 'ignore', env: { ...process.env, LOG_LEVEL: 'error' } });
  fs.writeFileSync(o.pidFile, `${child.pid}\n`, { mode: 0o600 });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`wireguard-go exited (${code}) before its device appeared`)));
  });
  failed.catch(() => undefined);
  for (let i = 0; i < 100; i++) {
    if (fs.existsSync(`/var/run/wireguard/${o.name}.sock`) && await o.host.link(o.name)) return child;
    await Promise.race([new Promise((r) => setTimeout(r, 50)), failed]);
  }
  child.kill('SIGKILL');
  throw new Error('wireguard-go did not create its device within 5 s');
}
