/**
 * This host's part of the cluster's WireGuard mesh (encrypted overlays): one key pair, kept
 * in the daemon's state dir, and one record `wg/<hostId>` {publicKey, endpoint, tunnelAddr}
 * under the host's lease — so a host that leaves (or whose lease expires) drops out of every
 * other host's device. Every host's record is followed with one watch; while the device is up
 * (some encrypted network active here) each remote record is one peer of it.
 */
import path from 'node:path';
import type pino from 'pino';
import type { OverlayEncryption } from '../contracts/cluster.js';
import type { WatchEvent } from '../contracts/store.js';
import type { Rtnl } from '../kernel/rtnl.js';
import {
  endStrayWireguardGo, generatePrivateKey, loadOrCreateKey, publicKeyOf, WireguardDevice, writeKeyFile,
  type WireguardImpl, type WireguardPeer,
} from '../kernel/wireguard.js';
import { Serial } from '../util/lock.js';
import type { ClusterNode } from './node.js';

export const WG_KEY = 'wg/';

export interface WireguardRecord extends WireguardPeer {
  host: string;
}

export interface MeshOptions {
  node: ClusterNode;
  host: Rtnl;
  impl: WireguardImpl;
  /** Holds private.key and wireguard-go.pid. */
  stateDir: string;
  logger: pino.Logger;
}

export class WireguardMesh implements OverlayEncryption {
  readonly implementation: WireguardImpl;
  readonly tunnelAddr: string;
  /** Unique per host: wireguard-go's UAPI socket dir is shared by every namespace. */
  readonly deviceName: string;
  private readonly remote = new Map<string, WireguardRecord>();
  private readonly serial = new Serial();
  private device?: WireguardDevice;
  private users = 0;
  private publicKey = '';
  private stopWatch?: () => Promise<void>;

  private constructor(private readonly o: MeshOptions) {
    this.implementation = o.impl;
    this.tunnelAddr = o.node.tunnelAddr;
    this.deviceName = `wg-${o.node.hostId.slice(0, 8)}`;
  }

  private get keyFile(): string { return path.join(this.o.stateDir, 'private.key'); }
  private get pidFile(): string { return path.join(this.o.stateDir, 'wireguard-go.pid'); }

  /** End what a crashed life left (wireguard-go, device), publish this host, follow the others. */
  static async start(o: MeshOptions): Promise<WireguardMesh> {
    const m = new WireguardMesh(o);
    if (await endStrayWireguardGo(m.pidFile)) o.logger.info('ended a wireguard-go left by an earlier daemon');
    await o.host.deleteLink(m.deviceName);
    m.publicKey = publicKeyOf(loadOrCreateKey(m.keyFile));
    await m.publishSelf();
    const store = o.node.store;
    const snap = await store.snapshot<WireguardRecord>(WG_KEY);
    for (const r of snap.records) if (r.value.host !== o.node.hostId) m.remember(r.value);
    m.stopWatch = await store.watch<WireguardRecord>(WG_KEY, (ev) => {
      m.serial.run(() => m.onRecord(ev)).catch((err) => o.logger.error({ err, key: ev.key }, 'programming a WireGuard peer failed'));
    }, snap.revision + 1);
    o.logger.info({ impl: o.impl, tunnel: m.tunnelAddr, peers: m.remote.size }, 'WireGuard mesh ready');
    return m;
  }

  /** What /info shows. */
  describe(): { Implementation: string; PublicKey: string; TunnelAddress: string; Device: string; Active: boolean; Peers: number } {
    return {
      Implementation: this.implementation, PublicKey: this.publicKey, TunnelAddress: this.tunnelAddr,
      Device: this.deviceName, Active: this.device !== undefined, Peers: this.remote.size,
    };
  }

  async acquire(mtu: number): Promise<void> {
    await this.serial.run(async () => {
      if (this.users++ > 0) return;
      try {
        this.device = await WireguardDevice.create({
          host: this.o.host, name: this.deviceName, impl: this.implementation, mtu,
          tunnelAddr: this.tunnelAddr, keyFile: this.keyFile, pidFile: this.pidFile,
        });
        for (const r of this.remote.values()) await this.device.setPeer(r);
        this.o.logger.info({ device: this.deviceName, peers: this.remote.size }, 'WireGuard device up');
      } catch (err) {
        this.users--;
        throw err;
      }
    });
  }

  async release(): Promise<void> {
    await this.serial.run(async () => {
      if (this.users === 0 || --this.users > 0) return;
      await this.device?.close();
      this.device = undefined;
      this.o.logger.info({ device: this.deviceName }, 'WireGuard device removed');
    });
  }

  /** A new key pair: the device takes it, the cluster sees the new public key. */
  async rotateKeys(): Promise<string> {
    return this.serial.run(async () => {
      const key = generatePrivateKey();
      writeKeyFile(this.keyFile, key);
      this.publicKey = publicKeyOf(key);
      await this.device?.reloadKey();
      await this.publishSelf();
      this.o.logger.info({ publicKey: this.publicKey }, 'WireGuard keys rotated');
      return this.publicKey;
    });
  }

  async close(): Promise<void> {
    await this.stopWatch?.();
    await this.serial.run(async () => {
      await this.device?.close();
      this.device = undefined;
      this.users = 0;
    });
  }

  private async publishSelf(): Promise<void> {
    const { node } = this.o;
    const rec: WireguardRecord = {
      host: node.hostId, publicKey: this.publicKey, endpoint: node.advertiseAddr, tunnelAddr: node.tunnelAddr,
    };
    await node.publish(WG_KEY + node.hostId, rec);
  }

  private remember(r: WireguardRecord): void {
    // Tunnel addresses are hashed from host ids: a clash (about 1 in 4 million per pair) is reported, not hidden.
    if (r.tunnelAddr === this.tunnelAddr) {
      this.o.logger.error({ host: r.host, tunnel: r.tunnelAddr }, 'another host has this host\'s WireGuard tunnel address');
    }
    this.remote.set(r.host, r);
  }

  private async onRecord(ev: WatchEvent<WireguardRecord>): Promise<void> {
    const hostId = ev.key.slice(ev.key.lastIndexOf('/') + 1);
    if (hostId === this.o.node.hostId) return;
    const old = this.remote.get(hostId);
    if (ev.type === 'put') this.remember(ev.value);
    else this.remote.delete(hostId);
    if (!this.device) return;
    if (old && (ev.type === 'delete' || old.publicKey !== ev.value.publicKey)) await this.device.removePeer(old.publicKey);
    if (ev.type === 'put') await this.device.setPeer(ev.value);
    this.o.logger.info({ host: hostId, change: ev.type }, 'WireGuard peer updated');
  }
}
