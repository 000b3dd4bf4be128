/** This host's endpoints of global networks, as it publishes them to the cluster. */
import { isEncrypted } from '../contracts/cluster.js';
import type { EndpointRecord } from './model.js';
import type { ControllerState } from './state.js';

/** Publish a local endpoint of a global network; nothing outside a cluster. */
export async function publishEndpoint(s: ControllerState, ep: EndpointRecord): Promise<void> {
  const c = s.o.cluster;
  if (!c) return;
  // Encrypted networks' VXLAN runs between WireGuard tunnel addresses.
  const options = s.networks.get(ep.networkId)?.options ?? {};
  const vtep = isEncrypted(options) ? c.tunnelAddr : c.advertiseAddr;
  await c.publishEndpoint({
    id: ep.id, name: ep.name, networkId: ep.networkId, host: c.hostId, vtep, mac: ep.mac, aliases: ep.aliases,
    ...(ep.ipv4 ? { ipv4: ep.ipv4 } : {}), ...(ep.ipv6 ? { ipv6: ep.ipv6 } : {}),
  });
}

export async function unpublishEndpoint(s: ControllerState, ep: EndpointRecord): Promise<void> {
  await s.o.cluster?.unpublishEndpoint(ep);
}
