/**
 * Which of a container's networks carries its published ports, and with which host
 * addresses: as dockerd, the first network that can (an internal network publishes
 * nothing, so with only internal networks none does), and a binding without a host IP
 * takes the network's com.docker.network.bridge.host_binding_ipv4 when it has one.
 */
import { OPT_HOST_BINDING_IPV4 } from '../contracts/network-options.js';
import type { PublishRequest } from '../contracts/host-ports.js';
import { withPublishAll } from '../hostports/allocator.js';
import type { Controller } from '../controller/controller.js';
import type { ContainerRecord } from './records.js';

/** -1: none of c's networks can publish. */
export function publishingNetworkIndex(c: { networks: { name: string }[] }, ctl: Pick<Controller, 'findNetwork'>): number {
  return c.networks.findIndex((n) => !ctl.findNetwork(n.name).internal);
}

/** What the HostPorts service publishes for c on `network`. */
export function publishRequest(c: ContainerRecord, network: string, ctl: Pick<Controller, 'findNetwork'>): PublishRequest {
  const dflt = ctl.findNetwork(network).options[OPT_HOST_BINDING_IPV4];
  const publishAll = c.publishAll ? c.exposedPorts : [];
  if (!dflt) return { owner: c.id, name: c.name, bindings: c.portBindings, publishAll };
  // -P too: each exposed port without a binding gets a random host port on the default address.
  const bindings = withPublishAll(c.portBindings, publishAll).map((b) => (b.hostIp ? b : { ...b, hostIp: dflt }));
  return { owner: c.id, name: c.name, bindings, publishAll: [] };
}
