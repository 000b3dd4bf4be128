/**
 * The cluster part of the daemon (with --cluster-store): membership and its lease, the one
 * peer source, the overlay driver and the global address space. Nothing without the flag.
 */
import type pino from 'pino';
import { createOverlayDriver, type OverlayDriver } from '../../drivers/overlay/overlay.js';
import { ClusterNode, type ClusterConfig } from '../cluster/node.js';
import { StorePeerSource } from '../cluster/peers.js';
import { StoreVniClaims } from '../cluster/vni.js';
import type { IpamDriver } from '../contracts/ipam.js';
import type { Store } from '../contracts/store.js';
import type { Rtnl } from '../kernel/rtnl.js';
import { createGlobalIpams } from './ipam.js';

export interface ClusterParts {
  node: ClusterNode;
  peers: StorePeerSource;
  overlay: OverlayDriver;
  globalIpams: IpamDriver[];
}

export async function joinCluster(
  cfg: ClusterConfig & { overlayMtu?: number }, local: Store, host: Rtnl, netnsDir: string, logger: pino.Logger,
): Promise<ClusterParts> {
  const node = await ClusterNode.join(cfg, local, logger);
  const peers = new StorePeerSource(node.store, node.hostId);
  const overlay = await createOverlayDriver({
    host, advertiseAddr: node.advertiseAddr, peers, vnis: new StoreVniClaims(node.store), netnsDir, logger,
    ...(cfg.overlayMtu ? { mtu: cfg.overlayMtu } : {}),
  });
  // The overlay driver has subscribed: only now may the watch deliver events.
  await peers.start();
  return { node, peers, overlay, globalIpams: createGlobalIpams(node.store) };
}
