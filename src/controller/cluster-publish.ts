/** This host's endpoints of global networks, as the cluster store holds them (under this host's lease). */
import { CLUSTER_EP } from '../cluster/node.js';
import type { ClusterEndpoint } from '../contracts/peers.js';
import type { EndpointRecord } from './model.js';
import type { ControllerState } from './state.js';

export function clusterKeyOf(ep: { networkId: string; id: string }): string {
  return `${CLUSTER_EP}${ep.networkId}/${ep.id}`;
}

/** Publish a local endpoint of a global network; nothing outside a cluster. */
export async function publishEndpoint(s: ControllerState, ep: EndpointRecord): Promise<void> {
  const c = s.o.cluster;
  if (!c) return;
  const rec: ClusterEndpoint = {
    id: ep.id, name: ep.name, networkId: ep.networkId, host: c.hostId, vtep: c.advertiseAddr, mac: ep.mac, aliases: ep.aliases,
    ...(ep.ipv4 ? { ipv4: ep.ipv4 } : {}), ...(ep.ipv6 ? { ipv6: ep.ipv6 } : {}),
  };
  await c.publish(clusterKeyOf(ep), rec);
}

export async function unpublishEndpoint(s: ControllerState, ep: EndpointRecord): Promise<void> {
  await s.o.cluster?.unpublish(clusterKeyOf(ep));
}
