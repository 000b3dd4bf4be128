/**
 * The cluster part of the daemon (with --cluster-store): membership and its lease, the one
 * peer source, the overlay driver and the global address space. Nothing without the flag.
 */
import path from 'node:path';
import type pino from 'pino';
import { createOverlayDriver, type OverlayDriver } from '../../drivers/overlay/overlay.js';
import { ClusterNode, type ClusterConfig } from '../cluster/node.js';
import { StorePeerSource } from '../cluster/peers.js';
import { overlayPeerProgramming } from '../metrics/cluster.js';
import { StoreVniClaims } from '../cluster/vni.js';
import { WireguardMesh } from '../cluster/wireguard-mesh.js';
import { detectWireguard } from '../kernel/wireguard.js';
import type { IpamDriver } from '../contracts/ipam.js';
import type { Store } from '../contracts/store.js';
import type { Rtnl } from '../kernel/rtnl.js';
import { createGlobalIpams } from './ipam.js';

export interface ClusterParts {
  node: ClusterNode;
  peers: StorePeerSource;
  overlay: OverlayDriver;
  /** Absent when this host has no WireGuard: encrypted networks are then refused. */
  mesh?: WireguardMesh;
  globalIpams: IpamDriver[];
}

export async function joinCluster(
  cfg: ClusterConfig & { overlayMtu?: number }, local: Store, host: Rtnl, dirs: { netnsDir: string; stateDir: string }, logger: pino.Logger,
): Promise<ClusterParts> {
  const node = await ClusterNode.join(cfg, local, logger);
  const peers = new StorePeerSource(node.store, node.hostId);
  const impl = await detectWireguard(host, `wgprobe-${node.hostId.slice(0, 6)}`);
  if (!impl) logger.warn('no WireGuard (kernel module or wireguard-go with /dev/net/tun): encrypted overlays are refused');
  const mesh = impl ? await WireguardMesh.start({ node, host, impl, stateDir: path.join(dirs.stateDir, 'wireguard'), logger }) : undefined;
  const overlay = await createOverlayDriver({
    host, advertiseAddr: node.advertiseAddr, peers, vnis: new StoreVniClaims(node.store), netnsDir: dirs.netnsDir, logger,
    peerProgrammed: (change, seconds) => overlayPeerProgramming.observe({ change }, seconds),
    ...(cfg.overlayMtu ? { mtu: cfg.overlayMtu } : {}), ...(mesh ? { encryption: mesh } : {}),
  });
  // The overlay driver has subscribed: only now may the watch deliver events.
  await peers.start();
  return { node, peers, overlay, ...(mesh ? { mesh } : {}), globalIpams: createGlobalIpams(node.store) };
}

/** Stop following the cluster; leave: revoke the lease (a clean shutdown) so others drop this host at once. */
export async function leaveCluster(c: ClusterParts, o: { leave: boolean }): Promise<void> {
  await c.overlay.close();
  await c.mesh?.close();
  await c.peers.close();
  await c.node.close(o);
}
