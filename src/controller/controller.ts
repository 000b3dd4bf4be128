/**
 * The network controller (CNM): owns the driver and IPAM registries, the store, and the
 * lifecycle of networks, endpoints and sandboxes. Every operation validates first, then
 * does the work in steps it can undo, and undoes them if a later step fails. Records are
 * committed with a `creating` state, together with what they reserve, before kernel work
 * starts, so reconcile() after a crash knows what was half-made and rolls it back. This class is the facade the
 * engine, the API and DNS use; each concern lives in its own module.
 */
import type pino from 'pino';
import type { NetworkDriver } from '../contracts/driver.js';
import type { ClusterEndpoint } from '../contracts/peers.js';
import type { Transaction } from '../contracts/store.js';
import { ClusterSync } from './cluster-sync.js';
import { Endpoints } from './endpoints.js';
import type { ConnectRequest, EndpointRecord, NetworkCreateRequest, NetworkRecord, SandboxRecord } from './model.js';
import { Networks } from './networks.js';
import { movePorts, type PortMove } from './port-moves.js';
import { reconcile, restoreNetworks } from './reconcile.js';
import { renumberNetwork, type Renumbered } from './renumber.js';
import { Sandboxes } from './sandboxes.js';
import { subnetStatuses, type SubnetStatus } from './ipam-status.js';
import { ControllerState, type ControllerOptions } from './state.js';

export type { ControllerOptions } from './state.js';

export class Controller {
  private readonly s: ControllerState;
  private readonly networks: Networks;
  private readonly endpoints: Endpoints;
  private readonly sandboxes: Sandboxes;
  private clusterSync?: ClusterSync;

  constructor(o: ControllerOptions) {
    this.s = new ControllerState(o);
    this.networks = new Networks(this.s);
    this.endpoints = new Endpoints(this.s, this.networks);
    this.sandboxes = new Sandboxes(this.s, this.endpoints);
  }

  get logger(): pino.Logger { return this.s.logger; }

  // ---------------------------------------------------------------- networks

  listNetworks(): NetworkRecord[] {
    return this.s.listNetworks();
  }

  /** By full id, exact name, or unique id prefix — Docker's lookup order. */
  findNetwork(ref: string): NetworkRecord {
    return this.networks.find(ref);
  }

  /** A ready network by exact id (no name or prefix matching), or undefined. */
  getNetworkById(id: string): NetworkRecord | undefined {
    const n = this.s.networks.get(id);
    return n && n.state === 'ready' ? n : undefined;
  }

  driverOf(n: NetworkRecord): NetworkDriver {
    return this.s.driverOf(n);
  }

  /** Address use per subnet (API 1.52 Status.IPAM.Subnets). */
  ipamStatus(n: NetworkRecord): Promise<Record<string, SubnetStatus>> {
    return subnetStatuses(this.s, n);
  }

  endpointsOf(networkId: string): EndpointRecord[] {
    return this.s.endpointsOf(networkId);
  }

  createNetwork(req: NetworkCreateRequest, opts: { predefined?: boolean; id?: string } = {}): Promise<NetworkRecord> {
    return this.networks.create(req, opts);
  }

  /** `predefined`: the daemon itself re-creates a predefined network (the default bridge after its flags changed). */
  async deleteNetwork(ref: string, opts: { predefined?: boolean } = {}): Promise<void> {
    const n = this.networks.find(ref);
    await this.s.resolve(n.driver, n.ipamDriver);
    return this.networks.delete(ref, opts);
  }

  /** An unused network with auto-picked subnets moved to the next free pool subnets (renumber.ts). */
  async renumberNetwork(ref: string): Promise<Renumbered[]> {
    const n = this.networks.find(ref);
    await this.s.resolve(n.driver, n.ipamDriver);
    return renumberNetwork(this.s, n);
  }

  // ---------------------------------------------------------------- sandboxes

  getSandbox(id: string): SandboxRecord | undefined {
    return this.s.sandboxes.get(id);
  }

  sandboxEndpoints(sandboxId: string): EndpointRecord[] {
    return this.s.sandboxEndpoints(sandboxId);
  }

  /** A new network namespace for a container (or the host's, for network mode host). */
  createSandbox(containerId: string, kind: 'netns' | 'host'): Promise<SandboxRecord> {
    return this.sandboxes.create(containerId, kind);
  }

  /**
   * Leave every network, then drop the namespace. Idempotent. With tx (on the local store)
   * the records and local addresses go in the caller's commit, e.g. with the container's record.
   */
  deleteSandbox(id: string, tx?: Transaction): Promise<void> {
    return this.sandboxes.delete(id, tx);
  }

  // ---------------------------------------------------------------- endpoints

  /** With tx (on the local store), the endpoint's outcome commits with the caller's own changes. */
  async connect(sandboxId: string, netRef: string, req: ConnectRequest, tx?: Transaction): Promise<EndpointRecord> {
    const n = this.networks.find(netRef);
    await this.s.resolve(n.driver, n.ipamDriver);
    return this.endpoints.connect(sandboxId, n, req, tx);
  }

  /** With tx (on the local store), the release commits with the caller's own changes. */
  async disconnect(sandboxId: string, netRef: string, opts: { force?: boolean } = {}, tx?: Transaction): Promise<void> {
    await this.endpoints.disconnect(sandboxId, this.networks.find(netRef), opts, tx);
  }

  /** A running sandbox's published ports go from one of its endpoints to another (port-moves.ts). */
  movePorts(sandboxId: string, move: PortMove): Promise<void> {
    return movePorts(this.s, sandboxId, move);
  }

  /** Rename every endpoint of a sandbox (the container was renamed). */
  renameEndpoints(sandboxId: string, name: string): Promise<void> {
    return this.endpoints.rename(sandboxId, name);
  }

  /**
   * Endpoints that other hosts have on a global network (name, aliases, addresses, host),
   * as they published them; empty for local networks. Read-only, for name resolution and
   * inspection across hosts.
   */
  remoteEndpointsOf(networkId: string): ClusterEndpoint[] {
    return this.s.o.peers?.remoteEndpoints(networkId) ?? [];
  }

  // ---------------------------------------------------------------- restart

  /**
   * After a restart: reconcile store, kernel and processes (see reconcile.ts), then follow
   * the cluster. `running(containerId)` returns the pid of a still-running container.
   */
  async reconcile(running: (containerId: string) => number | undefined): Promise<void> {
    const parts = { networks: this.networks, endpoints: this.endpoints, sandboxes: this.sandboxes };
    const clusterRevision = await reconcile(this.s, parts, running);
    const cluster = this.s.o.cluster;
    if (cluster && clusterRevision !== undefined) {
      this.clusterSync = new ClusterSync(this.s, cluster, this.endpoints);
      await this.clusterSync.start(clusterRevision);
    }
  }

  /** Stop following the cluster store (daemon shutdown). */
  async closeCluster(): Promise<void> {
    await this.clusterSync?.close();
  }

  /**
   * Have every driver re-create what its networks and endpoints need (bridges, rules,
   * published ports). Idempotent: used at start and after the firewall was flushed.
   */
  restoreNetworks(): Promise<void> {
    return restoreNetworks(this.s);
  }
}
