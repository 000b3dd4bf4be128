/**
 * Which of a sandbox's endpoints give its default routes, in dockerd's order (libnetwork's
 * Endpoint.Less): the highest GwPriority first; then endpoints outside weft_gwbridge, outside
 * internal networks, dual-stack before single-stack; then by network name. Each family takes
 * the first endpoint in that order with a gateway of that family.
 */
import type { Transaction } from '../contracts/store.js';
import { GW_BRIDGE_NET } from './gateway.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from './model.js';
import { type ControllerState, SB } from './state.js';

export interface GatewayCandidate {
  ep: EndpointRecord;
  network: Pick<NetworkRecord, 'name' | 'internal'>;
  /** The endpoint is on weft_gwbridge, the way out of last resort. */
  gatewayBridge: boolean;
}

export interface GatewayPicks {
  v4?: EndpointRecord;
  v6?: EndpointRecord;
}

function gatewayCount(ep: EndpointRecord): number {
  return (ep.gateway4 ? 1 : 0) + (ep.gateway6 ? 1 : 0);
}

function compare(a: GatewayCandidate, b: GatewayCandidate): number {
  const prio = (b.ep.gwPriority ?? 0) - (a.ep.gwPriority ?? 0);
  if (prio) return prio;
  if (a.gatewayBridge !== b.gatewayBridge) return a.gatewayBridge ? 1 : -1;
  if (a.network.internal !== b.network.internal) return a.network.internal ? 1 : -1;
  const gws = gatewayCount(b.ep) - gatewayCount(a.ep);
  if (gws) return gws;
  return a.network.name < b.network.name ? -1 : a.network.name > b.network.name ? 1 : 0;
}

/** The endpoint for each family's default route: the first in dockerd's order with a gateway of that family. */
export function pickGateways(candidates: GatewayCandidate[]): GatewayPicks {
  const order = [...candidates].sort(compare).map((c) => c.ep);
  const v4 = order.find((ep) => ep.gateway4);
  const v6 = order.find((ep) => ep.gateway6);
  return { ...(v4 ? { v4 } : {}), ...(v6 ? { v6 } : {}) };
}

/** pickGateways over a sandbox's endpoints. */
export function sandboxGateways(s: ControllerState, sandboxId: string): GatewayPicks {
  const candidates: GatewayCandidate[] = [];
  for (const ep of s.sandboxEndpoints(sandboxId)) {
    const network = s.networks.get(ep.networkId);
    if (network) candidates.push({ ep, network, gatewayBridge: network.name === GW_BRIDGE_NET });
  }
  return pickGateways(candidates);
}

/**
 * Point the sandbox's default routes at the endpoints picked now (the kernel replaces a
 * family's old default route) and record the IPv4 one (else the IPv6 one) as its gateway.
 */
export async function applyGateways(s: ControllerState, sb: SandboxRecord, tx?: Transaction): Promise<void> {
  const { v4, v6 } = sandboxGateways(s, sb.id);
  if (sb.nsPath && v4?.gateway4) await s.o.os.setDefaultRoute(sb.nsPath, v4.ifName, { gateway4: v4.gateway4 });
  if (sb.nsPath && v6?.gateway6) await s.o.os.setDefaultRoute(sb.nsPath, v6.ifName, { gateway6: v6.gateway6 });
  sb.gatewayEndpoint = (v4 ?? v6)?.id;
  if (tx) tx.put(SB + sb.id, sb);
  else await s.store.put(SB + sb.id, sb);
}
