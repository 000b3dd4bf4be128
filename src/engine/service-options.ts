/** What the container service is built from, handed in by the composition root. */
import type pino from 'pino';
import type { HostPorts } from '../contracts/host-ports.js';
import type { Runtime } from '../contracts/runtime.js';
import type { Store } from '../contracts/store.js';
import type { Controller } from '../controller/controller.js';
import type { ContainerEvents } from './container-events.js';
import type { ServiceDiscovery } from './discovery.js';

export interface ContainerServiceOptions {
  store: Store;
  controller: Controller;
  runtime: Runtime;
  /** Decides, binds and releases the host ports of published ports. */
  hostPorts: HostPorts;
  /** Per-container state directories live here. */
  containersDir: string;
  logger: pino.Logger;
  /** Embedded DNS for containers on user-defined networks; absent: host resolvers only. */
  dns?: ServiceDiscovery;
  /** What ExtraHosts' "host-gateway" stands for (--host-gateway-ip); absent: the default bridge's gateway. */
  hostGatewayIp?: string;
  /** Where committed lifecycle steps are published (docker events); absent: nowhere. */
  events?: ContainerEvents;
}
