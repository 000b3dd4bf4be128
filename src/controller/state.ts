/**
 * What every part of the controller shares: its options, the driver and IPAM registries,
 * the in-memory records, and the per-key lock. Records mirror the stores: local records in
 * the embedded store, global networks in the cluster store.
 */
import type pino from 'pino';
import type { IpamData, NetworkDriver, SandboxInfo } from '../contracts/driver.js';
import type { ClusterMembership } from '../contracts/cluster.js';
import type { IpamDriver } from '../contracts/ipam.js';
import type { PeerSource } from '../contracts/peers.js';
import type { DriverSource } from '../contracts/plugins.js';
import type { SandboxOs } from '../contracts/sandbox-os.js';
import type { Store } from '../contracts/store.js';
import { NotFound } from '../util/errors.js';
import { cidrContains } from '../util/ip.js';
import { KeyedSerial } from '../util/lock.js';
import type { EventBus } from '../util/event-bus.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from './model.js';

/** Store key prefixes. */
export const NET = 'network/';
export const EP = 'endpoint/';
export const SB = 'sandbox/';
/** Global-scope name claims (cluster store): network names are unique across hosts. */
export const NETNAME = 'netname/';

export interface ControllerOptions {
  store: Store;
  drivers: NetworkDriver[];
  ipams: IpamDriver[];
  /** IPAM drivers of the cluster's global address space (overlay networks). */
  globalIpams?: IpamDriver[];
  /** Directory for sandbox namespace mounts. */
  netnsDir: string;
  /** Kernel work on sandboxes (namespaces, default routes) and host routes for pool picking. */
  os: SandboxOs;
  logger: pino.Logger;
  /** Where committed network steps are published (docker events); absent: nowhere. */
  events?: EventBus;
  /** Cluster membership (etcd): global-scope networks, their IPAM, published endpoints. */
  cluster?: ClusterMembership;
  /** Endpoints other hosts publish on global networks (with cluster). */
  peers?: PeerSource;
  /** Network and IPAM drivers that are plugins, found by name when first named. */
  plugins?: DriverSource;
}

export class ControllerState {
  readonly drivers = new Map<string, NetworkDriver>();
  readonly ipams = new Map<string, IpamDriver>();
  /** IPAM drivers of the global address space (on the cluster store). */
  readonly globalIpams = new Map<string, IpamDriver>();
  readonly networks = new Map<string, NetworkRecord>();
  readonly endpoints = new Map<string, EndpointRecord>();
  readonly sandboxes = new Map<string, SandboxRecord>();
  /** One operation at a time per network/sandbox key keeps read-modify-write safe. */
  readonly locks = new KeyedSerial();

  constructor(readonly o: ControllerOptions) {
    for (const d of o.drivers) this.drivers.set(d.name, d);
    for (const i of o.ipams) this.ipams.set(i.name, i);
    for (const i of o.globalIpams ?? []) this.globalIpams.set(i.name, i);
  }

  get logger(): pino.Logger { return this.o.logger; }
  get store(): Store { return this.o.store; }

  driverOf(n: NetworkRecord): NetworkDriver {
    const d = this.drivers.get(n.driver);
    if (!d) throw new NotFound(`plugin "${n.driver}" not found`);
    return d;
  }

  /**
   * Make the drivers named known, asking the plugins for names no built-in driver has.
   * A name no plugin answers to stays unknown (the caller's lookup then says so); a
   * plugin that is there but fails to activate fails the call.
   */
  async resolve(driver: string | undefined, ipam: string | undefined): Promise<void> {
    const plugins = this.o.plugins;
    if (!plugins) return;
    if (driver && !this.drivers.has(driver)) {
      const d = await plugins.networkDriver(driver);
      if (d) this.drivers.set(driver, d);
    }
    if (ipam && !this.ipams.has(ipam)) {
      const i = await plugins.ipamDriver(ipam);
      if (i) {
        this.ipams.set(ipam, i);
        if (!this.globalIpams.has(ipam)) this.globalIpams.set(ipam, i);
      }
    }
  }

  /** Whether n's driver is a plugin (not one the daemon was built with). */
  isRemote(n: NetworkRecord): boolean {
    return !this.o.drivers.some((d) => d.name === n.driver);
  }

  /** Local networks live in the embedded store; global ones in the cluster store. */
  storeOf(n: { scope: string }): Store {
    return n.scope !== 'local' && this.o.cluster ? this.o.cluster.store : this.o.store;
  }

  ipamOf(n: { scope: string; ipamDriver: string }): IpamDriver | undefined {
    return (n.scope !== 'local' ? this.globalIpams : this.ipams).get(n.ipamDriver);
  }

  listNetworks(): NetworkRecord[] {
    return [...this.networks.values()].filter((n) => n.state === 'ready');
  }

  endpointsOf(networkId: string): EndpointRecord[] {
    return [...this.endpoints.values()].filter((e) => e.networkId === networkId && e.state === 'ready');
  }

  /** A sandbox's ready endpoints in interface order (eth0, eth1, …). */
  sandboxEndpoints(sandboxId: string): EndpointRecord[] {
    return [...this.endpoints.values()]
      .filter((e) => e.sandboxId === sandboxId && e.state === 'ready')
      .sort((a, b) => ifIndex(a.ifName) - ifIndex(b.ifName));
  }

}

/** The pool of a network that holds an address (the first one if none does). */
export function poolFor(pools: IpamData[], cidr: string): IpamData {
  return pools.find((p) => cidrContains(p.subnet, cidr)) ?? pools[0];
}

export function sbInfo(sb: SandboxRecord): SandboxInfo {
  return { id: sb.id, ...(sb.nsPath ? { nsPath: sb.nsPath } : {}) };
}

function ifIndex(name: string): number {
  return Number(name.replace(/^\D+/, '')) || 0;
}
