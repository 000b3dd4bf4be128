/**
 * Published ports of a running container follow its networks, as dockerd moves them with the
 * endpoint that gives the container its way out: they are served on the first of its
 * networks that can publish (publishing-network.ts), and move when a connect or disconnect
 * changes which one that is; with none left, they are withdrawn. The host ports stay the
 * container's until it exits, so a move keeps them and `docker port` stays the same.
 */
import type { Logger } from 'pino';
import type { HostPorts } from '../contracts/host-ports.js';
import type { Controller } from '../controller/controller.js';
import { needsGatewayBridge } from '../controller/endpoints.js';
import type { EndpointRecord, NetworkRecord } from '../controller/model.js';
import { publishingNetworkIndex, publishRequest } from './publishing-network.js';
import type { ContainerRecord } from './records.js';
import { failpoint } from '../util/failpoint.js';

export interface PortFollowDeps {
  controller: Controller;
  hostPorts: HostPorts;
}

/**
 * After a restart (endpoints reconciled, host ports held again): ports a crash left between
 * a network change and their move are moved now, so every running container comes back
 * with its ports where its networks say.
 */
export async function followAll(d: PortFollowDeps, containers: Iterable<ContainerRecord>, logger: Logger): Promise<void> {
  for (const c of containers) {
    await followPublishing(d, c).catch((err) => logger.error({ err, container: c.name }, 'moving published ports failed'));
  }
}

/** Put c's published ports on the endpoint that should carry them now, if they are elsewhere. */
export async function followPublishing(d: PortFollowDeps, c: ContainerRecord): Promise<void> {
  if (c.status !== 'running' || (!c.portBindings.length && !(c.publishAll && c.exposedPorts.length))) return;
  const ctl = d.controller;
  const eps = ctl.sandboxEndpoints(c.id);
  const joined = c.networks.flatMap((n) => {
    const net = networkOf(ctl, n.name);
    const ep = net && eps.find((e) => e.networkId === net.id);
    return net && ep ? [{ net, ep }] : [];
  });
  const holder = eps.find((e) => e.portBindings.length);
  // Ports weft_gwbridge carries for an overlay endpoint stay there (gateway.ts decides).
  if (holder && !joined.some((j) => j.ep === holder)) return;
  const index = publishingNetworkIndex({ networks: joined.map((j) => ({ name: j.net.name })) }, ctl);
  const target = index >= 0 ? joined[index] : undefined;
  if (target?.ep === holder || (target && needsGatewayBridge(target.net, target.ep))) return;
  if (!target) {
    if (holder) await ctl.movePorts(c.id, { from: holder.networkId, bindings: [] });
    return;
  }
  failpoint('container.ports.follow');
  const req = publishRequest(c, target.net.name, ctl);
  await d.hostPorts.publish(req, (bindings) => ctl.movePorts(c.id, { ...from(holder), to: target.net.id, bindings }));
}

function from(holder: EndpointRecord | undefined): { from?: string } {
  return holder ? { from: holder.networkId } : {};
}

function networkOf(ctl: Controller, ref: string): NetworkRecord | undefined {
  try {
    return ctl.findNetwork(ref);
  } catch {
    return undefined;
  }
}
