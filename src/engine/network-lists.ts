/**
 * Reconcile rule for the networks a running container lists: exactly those it has an
 * endpoint on. A crash between the controller's connect or disconnect and the write of the
 * container's record leaves the two apart; the endpoint, which the kernel state follows,
 * decides (a finished connect is kept, a finished disconnect stays done).
 */
import type { Controller } from '../controller/controller.js';
import { GW_BRIDGE_NET } from '../controller/gateway.js';
import type { EndpointRecord } from '../controller/model.js';
import type { ContainerRecord, EndpointConfig } from './records.js';

export type NetworkSource = Pick<Controller, 'sandboxEndpoints' | 'getNetworkById' | 'findNetwork'>;

/** Aligns c.networks with its endpoints; returns whether it changed anything. */
export function alignNetworkList(c: ContainerRecord, ctl: NetworkSource): boolean {
  if (c.status !== 'running' || c.networkMode === 'host' || c.networkMode === 'none') return false;
  const joined = new Map<string, EndpointRecord>();
  for (const ep of ctl.sandboxEndpoints(c.id)) {
    const n = ctl.getNetworkById(ep.networkId);
    if (n && n.name !== GW_BRIDGE_NET) joined.set(n.id, ep);
  }
  const idOf = (ref: string) => {
    try {
      return ctl.findNetwork(ref).id;
    } catch {
      return undefined;
    }
  };
  const kept = c.networks.filter((n) => joined.has(idOf(n.name) ?? ''));
  const listed = new Set(kept.map((n) => idOf(n.name)));
  const added = [...joined].filter(([id]) => !listed.has(id))
    .map(([id, ep]) => ({ name: ctl.getNetworkById(id)!.name, config: configOf(ep) }));
  if (kept.length === c.networks.length && !added.length) return false;
  c.networks = [...kept, ...added];
  return true;
}

function configOf(ep: EndpointRecord): EndpointConfig {
  return {
    ...(ep.requestedIpv4 ? { ipv4: ep.requestedIpv4 } : {}),
    ...(ep.requestedIpv6 ? { ipv6: ep.requestedIpv6 } : {}),
    ...(ep.aliases?.length ? { aliases: [...ep.aliases] } : {}),
    ...(ep.gwPriority ? { gwPriority: ep.gwPriority } : {}),
  };
}
