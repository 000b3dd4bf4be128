/**
 * The network controller (CNM): owns the driver and IPAM registries, the store, and the
 * lifecycle of networks, endpoints and sandboxes. Every operation validates first, then
 * does the work in steps it can undo, and undoes them if a later step fails. Records are
 * written with a `creating` state before kernel work starts, so reconcile() after a crash
 * knows what was half-made and finishes or rolls it back.
 */
import net from 'node:net';
import path from 'node:path';
import type pino from 'pino';
import type { IpamData, NetworkDriver, SandboxInfo } from '../contracts/driver.js';
import type { IpamDriver } from '../contracts/ipam.js';
import { Conflict, Forbidden, InvalidArgument, NotFound } from '../util/errors.js';
import { cidrContains, splitCidr } from '../util/ip.js';
import { createNetns, deleteNetns, isNetnsMount, pinNetns } from '../kernel/netns.js';
import { Rtnl } from '../kernel/rtnl.js';
import type { Store, WatchEvent } from '../contracts/store.js';
import { CLUSTER_EP, type ClusterEndpoint, type ClusterNode } from '../cluster/node.js';
import { isValidName, macFor, newId } from '../util/ids.js';
import type { ConnectRequest, EndpointRecord, IpamConfigRequest, NetworkCreateRequest, NetworkRecord, SandboxRecord } from './model.js';
import { Undo } from '../util/undo.js';

const NET = 'network/';
const EP = 'endpoint/';
const SB = 'sandbox/';
/** Global-scope name claims (cluster store): network names are unique across hosts. */
const NETNAME = 'netname/';
/** Like docker_gwbridge: the local bridge network giving overlay containers a way out. */
export const GW_BRIDGE_NET = 'weft_gwbridge';

export interface ControllerOptions {
  store: Store;
  drivers: NetworkDriver[];
  ipams: IpamDriver[];
  /** IPAM drivers of the cluster's global address space (overlay networks). */
  globalIpams?: IpamDriver[];
  /** Directory for sandbox namespace mounts. */
  netnsDir: string;
  /** rtnetlink handle of the host namespace (host routes for pool picking, sandbox lo). */
  host: Rtnl;
  logger: pino.Logger;
  /** Cluster membership (etcd): global-scope networks, their IPAM, published endpoints. */
  cluster?: ClusterNode;
}

export class Controller {
  private readonly drivers = new Map<string, NetworkDriver>();
  private readonly ipams = new Map<string, IpamDriver>();
  private readonly networks = new Map<string, NetworkRecord>();
  private readonly endpoints = new Map<string, EndpointRecord>();
  private readonly sandboxes = new Map<string, SandboxRecord>();
  /** One operation at a time per network/sandbox key keeps read-modify-write safe. */
  private readonly locks = new Map<string, Promise<unknown>>();
  /** IPAM drivers of the global address space (on the cluster store). */
  private readonly globalIpams = new Map<string, IpamDriver>();
  private gwNetPending?: Promise<NetworkRecord>;
  private clusterQueue: Promise<unknown> = Promise.resolve();
  private stopClusterWatch?: () => Promise<void>;
  private stopPeerWatch?: () => Promise<void>;
  /** Endpoints other hosts published on global networks, by cluster store key. */
  private readonly remote = new Map<string, ClusterEndpoint>();

  constructor(private readonly o: ControllerOptions) {
    for (const d of o.drivers) this.drivers.set(d.name, d);
    for (const i of o.ipams) this.ipams.set(i.name, i);
    for (const i of o.globalIpams ?? []) this.globalIpams.set(i.name, i);
  }

  get logger(): pino.Logger { return this.o.logger; }

  // ---------------------------------------------------------------- networks

  listNetworks(): NetworkRecord[] {
    return [...this.networks.values()].filter((n) => n.state === 'ready');
  }

  /** By full id, exact name, or unique id prefix — Docker's lookup order. */
  findNetwork(ref: string): NetworkRecord {
    const all = this.listNetworks();
    const hit = all.find((n) => n.id === ref) ?? all.find((n) => n.name === ref);
    if (hit) return hit;
    const byPrefix = ref ? all.filter((n) => n.id.startsWith(ref)) : [];
    if (byPrefix.length === 1) return byPrefix[0];
    if (byPrefix.length > 1) throw new InvalidArgument(`network ${ref} is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
    throw new NotFound(`network ${ref} not found`);
  }

  /** A ready network by exact id (no name or prefix matching), or undefined. */
  getNetworkById(id: string): NetworkRecord | undefined {
    const n = this.networks.get(id);
    return n && n.state === 'ready' ? n : undefined;
  }

  driverOf(n: NetworkRecord): NetworkDriver {
    const d = this.drivers.get(n.driver);
    if (!d) throw new NotFound(`plugin "${n.driver}" not found`);
    return d;
  }

  endpointsOf(networkId: string): EndpointRecord[] {
    return [...this.endpoints.values()].filter((e) => e.networkId === networkId && e.state === 'ready');
  }

  async createNetwork(req: NetworkCreateRequest, opts: { predefined?: boolean; id?: string } = {}): Promise<NetworkRecord> {
    // --- validation: nothing is allocated or written before all of this passed
    if (typeof req.name !== 'string' || !req.name) throw new InvalidArgument('network name must not be empty');
    if (!isValidName(req.name)) throw new InvalidArgument(`invalid network name "${req.name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const driverName = req.driver || 'bridge';
    const driver = this.drivers.get(driverName);
    if (!driver) throw new NotFound(`plugin "${driverName}" not found`);
    if (!driver.capability.userCreatable && !opts.predefined) {
      throw new Forbidden(`only one instance of "${driverName}" network is allowed`);
    }
    const global = driver.capability.scope !== 'local';
    if (global && !this.o.cluster) {
      throw new Forbidden(`"${driverName}" networks span hosts and need a cluster store: start the daemon with --cluster-store etcd://HOST:PORT --advertise-addr IP`);
    }
    const ipamName = req.ipam?.driver || 'default';
    const ipam = (global ? this.globalIpams : this.ipams).get(ipamName);
    if (!ipam) throw new NotFound(`plugin "${ipamName}" not found`);
    const configs = (req.ipam?.config ?? []).map(validateIpamConfig);
    const v4 = configs.filter((c) => !c.subnet || !c.subnet.includes(':'));
    const v6 = configs.filter((c) => c.subnet?.includes(':'));
    if (v6.length && !req.enableIPv6) throw new InvalidArgument('IPv6 subnets were given but IPv6 is not enabled on the network (--ipv6)');
    for (const n of this.networks.values()) {
      if (n.name === req.name) throw new Conflict(`network with name ${req.name} already exists`);
    }

    const rec: NetworkRecord = {
      id: opts.id ?? newId(),
      name: req.name,
      driver: driverName,
      scope: driver.capability.scope,
      internal: !!req.internal,
      attachable: !!req.attachable,
      enableIPv6: !!req.enableIPv6,
      options: { ...(req.options ?? {}) },
      labels: { ...(req.labels ?? {}) },
      ipv4: [],
      ipv6: [],
      created: new Date().toISOString(),
      ipamDriver: ipamName,
      ipamOptions: { ...(req.ipam?.options ?? {}) },
      userSubnets: configs.some((c) => !!c.subnet),
      predefined: !!opts.predefined,
      state: 'creating',
    };
    driver.validateNetwork(rec);

    return this.locked(NET + rec.name, async () => {
      // Re-checked under the lock: two concurrent creates of one name must not both win.
      for (const n of this.networks.values()) {
        if (n.name === req.name) throw new Conflict(`network with name ${req.name} already exists`);
      }
      const undo = new Undo(this.logger);
      const store = this.storeOf(rec);
      try {
        if (global && (await store.compareAndSwap(NETNAME + rec.name, null, rec.id)) === undefined) {
          throw new Conflict(`network with name ${req.name} already exists`); // on another host
        }
        if (global) undo.push(() => store.delete(NETNAME + rec.name));
        this.networks.set(rec.id, rec);
        undo.push(() => { this.networks.delete(rec.id); });
        await store.put(NET + rec.id, rec);
        undo.push(() => store.delete(NET + rec.id));
        if (driver.capability.needsIpam) {
          const avoid = await this.hostRoutes();
          for (const c of v4.length ? v4 : [{}]) rec.ipv4.push(await this.allocatePool(ipam, c, false, avoid, undo));
          if (rec.enableIPv6) for (const c of v6.length ? v6 : [{}]) rec.ipv6.push(await this.allocatePool(ipam, c, true, avoid, undo));
          await store.put(NET + rec.id, rec);
        }
        if (driver.allocateNetwork) {
          await driver.allocateNetwork(rec); // cluster-wide resources (e.g. the VNI), into rec.options
          undo.push(() => driver.freeNetwork?.(rec));
        }
        await driver.createNetwork(rec);
        undo.push(() => driver.deleteNetwork(rec));
        rec.state = 'ready';
        await store.put(NET + rec.id, rec);
        this.logger.info({ network: rec.name, id: rec.id, driver: driverName }, 'network created');
        return rec;
      } catch (err) {
        await undo.run();
        throw err;
      }
    });
  }

  async deleteNetwork(ref: string): Promise<void> {
    const n = this.findNetwork(ref);
    if (n.predefined) throw new Forbidden(`${n.name} is a pre-defined network and cannot be removed`);
    await this.locked(NET + n.name, async () => {
      const eps = [...this.endpoints.values()].filter((e) => e.networkId === n.id);
      if (eps.length) {
        // dockerd 28's wording, naming the endpoints (by container name and short id).
        const list = eps.map((e) => `name:${JSON.stringify(e.name)} id:${JSON.stringify(e.id.slice(0, 12))}`).join(', ');
        throw new Forbidden(`error while removing network: network ${n.name} has active endpoints (${list})`);
      }
      if (n.scope !== 'local' && this.o.cluster) {
        const remote = (await this.o.cluster.store.list<ClusterEndpoint>(`${CLUSTER_EP}${n.id}/`)).map((r) => r.value);
        if (remote.length) {
          const list = remote.map((e) => `name:${JSON.stringify(e.name)} id:${JSON.stringify(e.id.slice(0, 12))} host:${JSON.stringify(e.vtep)}`).join(', ');
          throw new Forbidden(`error while removing network: network ${n.name} has active endpoints (${list})`);
        }
      }
      n.state = 'deleting';
      await this.storeOf(n).put(NET + n.id, n);
      await this.destroyNetwork(n);
      this.logger.info({ network: n.name, id: n.id }, 'network removed');
    });
  }

  /** Kernel teardown + IPAM release + record removal; safe to replay. */
  private async destroyNetwork(n: NetworkRecord): Promise<void> {
    const driver = this.driverOf(n);
    await driver.deleteNetwork(n);
    await driver.freeNetwork?.(n);
    const ipam = this.ipamOf(n);
    for (const p of [...n.ipv4, ...n.ipv6]) await ipam?.releasePool(p.poolId).catch(() => undefined);
    const store = this.storeOf(n);
    await store.delete(NET + n.id);
    if (n.scope !== 'local') {
      const claim = await store.get<string>(NETNAME + n.name);
      if (claim?.value === n.id) await store.compareAndDelete(NETNAME + n.name, claim.revision);
    }
    this.networks.delete(n.id);
  }

  /** Local networks live in the embedded store; global ones in the cluster store. */
  private storeOf(n: { scope: string }): Store {
    return n.scope !== 'local' && this.o.cluster ? this.o.cluster.store : this.o.store;
  }

  private ipamOf(n: { scope: string; ipamDriver: string }): IpamDriver | undefined {
    return (n.scope !== 'local' ? this.globalIpams : this.ipams).get(n.ipamDriver);
  }

  private async allocatePool(ipam: IpamDriver, c: IpamConfigRequest, v6: boolean, avoid: string[], undo: Undo): Promise<IpamData> {
    const { poolId, pool } = await ipam.requestPool({ pool: c.subnet, subPool: c.ipRange, v6, avoid });
    undo.push(() => ipam.releasePool(poolId));
    const data: IpamData = { poolId, subnet: pool, auxAddresses: {} };
    if (c.ipRange) data.ipRange = c.ipRange;
    if (c.gateway && !cidrContains(pool, c.gateway)) {
      throw new InvalidArgument(`gateway ${c.gateway} is not in subnet ${pool}`);
    }
    // Aux addresses first: a gateway picked automatically must not take one of them.
    for (const [name, ip] of Object.entries(c.auxAddresses ?? {})) {
      if (!cidrContains(pool, ip)) throw new InvalidArgument(`auxiliary address ${name}=${ip} is not in subnet ${pool}`);
      await ipam.requestAddress(poolId, ip);
      data.auxAddresses[name] = ip;
    }
    const gw = await ipam.requestAddress(poolId, c.gateway, { gateway: true });
    if (gw) data.gateway = gw;
    return data;
  }

  /** Subnets routed in the host namespace, which an automatically picked pool must avoid. */
  private async hostRoutes(): Promise<string[]> {
    const out: string[] = [];
    for (const family of [2, 10]) {
      for (const r of await this.o.host.routes(family)) {
        if (r.table !== 254 || r.dst.endsWith('/0')) continue;
        if (family === 10 && r.dst.startsWith('fe80:')) continue;
        out.push(r.dst);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- sandboxes

  getSandbox(id: string): SandboxRecord | undefined {
    return this.sandboxes.get(id);
  }

  sandboxEndpoints(sandboxId: string): EndpointRecord[] {
    return [...this.endpoints.values()]
      .filter((e) => e.sandboxId === sandboxId && e.state === 'ready')
      .sort((a, b) => ifIndex(a.ifName) - ifIndex(b.ifName));
  }

  /** A new network namespace for a container (or the host's, for network mode host). */
  async createSandbox(containerId: string, kind: 'netns' | 'host'): Promise<SandboxRecord> {
    const id = containerId;
    const rec: SandboxRecord = { id, containerId, ...(kind === 'netns' ? { nsPath: path.join(this.o.netnsDir, id.slice(0, 12)) } : {}) };
    await this.o.store.put(SB + id, rec);
    try {
      if (rec.nsPath) {
        if (isNetnsMount(rec.nsPath)) deleteNetns(rec.nsPath);
        createNetns(rec.nsPath);
        const h = Rtnl.open(rec.nsPath);
        try {
          await h.setLink((await h.requireLink('lo')).index, { up: true });
        } finally {
          h.close();
        }
      }
    } catch (err) {
      if (rec.nsPath) deleteNetns(rec.nsPath);
      await this.o.store.delete(SB + id);
      throw err;
    }
    this.sandboxes.set(id, rec);
    return rec;
  }

  /** Leave every network, then drop the namespace. Idempotent. */
  async deleteSandbox(id: string): Promise<void> {
    const sb = this.sandboxes.get(id);
    if (!sb) return;
    for (const ep of [...this.endpoints.values()].filter((e) => e.sandboxId === id)) {
      if (!this.endpoints.has(ep.id)) continue; // went with another (weft_gwbridge)
      await this.removeEndpoint(ep, { force: true, closing: !!sb.nsPath });
    }
    if (sb.nsPath) deleteNetns(sb.nsPath);
    await this.o.store.delete(SB + id);
    this.sandboxes.delete(id);
  }

  // ---------------------------------------------------------------- endpoints

  async connect(sandboxId: string, netRef: string, req: ConnectRequest): Promise<EndpointRecord> {
    const n = this.findNetwork(netRef);
    const sb = this.sandboxes.get(sandboxId);
    if (!sb) throw new NotFound(`sandbox for container ${sandboxId} not found`);
    return this.locked(SB + sandboxId, () => this.connectLocked(sb, n, req));
  }

  private async connectLocked(sb: SandboxRecord, n: NetworkRecord, req: ConnectRequest): Promise<EndpointRecord> {
    const sandboxId = sb.id;
    const driver = this.driverOf(n);
    const current = this.sandboxEndpoints(sandboxId);
    if (current.some((e) => e.networkId === n.id)) {
      throw new Forbidden(`endpoint with name ${req.name} already exists in network ${n.name}`);
    }
    if (!sb.nsPath && n.driver !== 'host') {
      throw new InvalidArgument('container sharing network namespace with the host cannot be connected to any other network');
    }
    if (req.ipv4 && !net.isIPv4(req.ipv4)) throw new InvalidArgument(`invalid IPv4 address: ${req.ipv4}`);
    if (req.ipv6 && !net.isIPv6(req.ipv6)) throw new InvalidArgument(`invalid IPv6 address: ${req.ipv6}`);
    if ((req.ipv4 || req.ipv6) && !n.userSubnets) {
      throw new InvalidArgument('user specified IP address is supported only when connecting to networks with user configured subnets');
    }
    if (req.ipv6 && !n.enableIPv6) throw new InvalidArgument(`network ${n.name} does not have IPv6 enabled`);

    const id = newId();
    const ep: EndpointRecord = {
      id,
      name: req.name,
      networkId: n.id,
      sandboxId,
      ifName: nextIfName(current.map((e) => e.ifName)),
      mac: '',
      aliases: [...(req.aliases ?? [])],
      portBindings: [...(req.portBindings ?? [])],
      driverState: {},
      ...(req.ipv4 ? { requestedIpv4: req.ipv4 } : {}),
      ...(req.ipv6 ? { requestedIpv6: req.ipv6 } : {}),
      state: 'creating',
    };
    const undo = new Undo(this.logger);
    try {
      this.endpoints.set(id, ep);
      undo.push(() => { this.endpoints.delete(id); });
      await this.o.store.put(EP + id, ep);
      undo.push(() => this.o.store.delete(EP + id));
      if (driver.capability.needsIpam) {
        const ipam = this.ipamOf(n)!;
        if (n.ipv4.length) {
          ep.ipv4 = await this.allocateAddress(ipam, n.ipv4, req.ipv4, n.name);
          undo.push(() => ipam.releaseAddress(poolFor(n.ipv4, ep.ipv4!).poolId, ep.ipv4!));
        }
        if (n.enableIPv6 && n.ipv6.length) {
          ep.ipv6 = await this.allocateAddress(ipam, n.ipv6, req.ipv6, n.name);
          undo.push(() => ipam.releaseAddress(poolFor(n.ipv6, ep.ipv6!).poolId, ep.ipv6!));
        }
      }
      ep.mac = macFor(ep.ipv4 && splitCidr(ep.ipv4).ip);
      // No write here: a crash before 'ready' is rolled back by reconcile from the
      // 'creating' record (drivers derive their interface names from the endpoint id,
      // and the address, not yet recorded, is released by the IPAM garbage collection).
      // …except in the global address space, which no host garbage-collects alone: there
      // the record must name the address before a crash could orphan it.
      if (n.scope !== 'local' && (ep.ipv4 || ep.ipv6)) await this.o.store.put(EP + id, ep);
      await driver.createEndpoint(n, ep);
      undo.push(() => driver.deleteEndpoint(n, ep));
      const joined = await driver.join(n, ep, sbInfo(sb));
      undo.push(() => driver.leave(n, ep, sbInfo(sb)));
      if (joined.gateway4) ep.gateway4 = joined.gateway4;
      if (joined.gateway6) ep.gateway6 = joined.gateway6;
      await driver.programExternalConnectivity(n, ep);
      undo.push(() => driver.revokeExternalConnectivity(n, ep));
      ep.state = 'ready';
      if (!sb.gatewayEndpoint && (ep.gateway4 || ep.gateway6)) await this.setGateway(sb, ep);
      await this.o.store.put(EP + id, ep);
      if (n.scope !== 'local') {
        await this.publishEndpoint(ep);
        undo.push(() => this.o.cluster?.unpublish(`${CLUSTER_EP}${n.id}/${ep.id}`));
        // Overlays have no gateway of their own: a way out through weft_gwbridge, which
        // also carries the endpoint's published ports (as docker_gwbridge does).
        if (!n.internal && !sb.gatewayEndpoint) {
          const gw = await this.attachGateway(sb, ep.portBindings);
          if (gw) undo.push(() => this.removeEndpoint(gw, { force: true }));
          if (gw && ep.portBindings.length) {
            ep.portBindings = [];
            await this.o.store.put(EP + id, ep);
          }
        }
      }
      this.logger.info({ network: n.name, endpoint: id, ip: ep.ipv4, ip6: ep.ipv6, sandbox: sandboxId }, 'endpoint joined');
      return ep;
    } catch (err) {
      await undo.run();
      throw err;
    }
  }

  /** Publish a local endpoint of a global network (cluster store, under this host's lease). */
  private async publishEndpoint(ep: EndpointRecord): Promise<void> {
    const c = this.o.cluster;
    if (!c) return;
    const rec: ClusterEndpoint = {
      id: ep.id, name: ep.name, networkId: ep.networkId, host: c.hostId, vtep: c.advertiseAddr, mac: ep.mac, aliases: ep.aliases,
      ...(ep.ipv4 ? { ipv4: ep.ipv4 } : {}), ...(ep.ipv6 ? { ipv6: ep.ipv6 } : {}),
    };
    await c.publish(`${CLUSTER_EP}${ep.networkId}/${ep.id}`, rec);
  }

  /** Connect the sandbox to weft_gwbridge (created on first use) unless it already is. */
  private async attachGateway(sb: SandboxRecord, portBindings: EndpointRecord['portBindings']): Promise<EndpointRecord | undefined> {
    const gwNet = await this.gatewayNetwork();
    if (this.sandboxEndpoints(sb.id).some((e) => e.networkId === gwNet.id)) return undefined;
    return this.connectLocked(sb, gwNet, { name: `gateway_${sb.id.slice(0, 12)}`, portBindings });
  }

  /** After an overlay endpoint left: drop the weft_gwbridge endpoint if no overlay needs it. */
  private async detachGatewayIfUnneeded(sb: SandboxRecord): Promise<void> {
    const eps = this.sandboxEndpoints(sb.id);
    const gw = eps.find((e) => this.networks.get(e.networkId)?.name === GW_BRIDGE_NET);
    if (!gw) return;
    const needed = eps.some((e) => {
      const n = this.networks.get(e.networkId);
      return !!n && n.scope !== 'local' && !n.internal;
    });
    if (!needed) await this.removeEndpoint(gw, { force: true });
  }

  private gatewayNetwork(): Promise<NetworkRecord> {
    const have = this.listNetworks().find((x) => x.name === GW_BRIDGE_NET);
    if (have) return Promise.resolve(have);
    this.gwNetPending ??= this.createNetwork({
      name: GW_BRIDGE_NET,
      driver: 'bridge',
      options: {
        'com.docker.network.bridge.name': GW_BRIDGE_NET,
        'com.docker.network.bridge.enable_icc': 'false',
        'com.docker.network.bridge.enable_ip_masquerade': 'true',
      },
    }).finally(() => { this.gwNetPending = undefined; });
    return this.gwNetPending;
  }

  async disconnect(sandboxId: string, netRef: string, opts: { force?: boolean } = {}): Promise<void> {
    const n = this.findNetwork(netRef);
    await this.locked(SB + sandboxId, async () => {
      const ep = [...this.endpoints.values()].find((e) => e.sandboxId === sandboxId && e.networkId === n.id);
      if (!ep) throw new NotFound(`container ${sandboxId.slice(0, 12)} is not connected to network ${n.name}`);
      await this.removeEndpoint(ep, opts);
    });
  }

  private async removeEndpoint(ep: EndpointRecord, opts: { force?: boolean; closing?: boolean }): Promise<void> {
    const n = this.networks.get(ep.networkId);
    const sb = this.sandboxes.get(ep.sandboxId);
    ep.state = 'deleting';
    await this.o.store.put(EP + ep.id, ep);
    if (n && n.scope !== 'local' && this.o.cluster) {
      // First, so other hosts stop sending to it while it is taken down.
      await this.o.cluster.unpublish(`${CLUSTER_EP}${n.id}/${ep.id}`).catch((err) => this.logger.warn({ err, endpoint: ep.id }, 'unpublishing the endpoint failed'));
    }
    if (n) {
      const driver = this.driverOf(n);
      const step = async (what: string, fn: () => Promise<void>) => {
        try {
          await fn();
        } catch (err) {
          if (!opts.force) throw err;
          this.logger.warn({ err, endpoint: ep.id }, `${what} failed; continuing (forced)`);
        }
      };
      await step('revoke', () => driver.revokeExternalConnectivity(n, ep));
      if (sb) await step('leave', () => driver.leave(n, ep, { ...sbInfo(sb), ...(opts.closing ? { closing: true } : {}) }));
      await step('delete endpoint', () => driver.deleteEndpoint(n, ep));
      const ipam = this.ipamOf(n);
      if (ipam && ep.ipv4) await ipam.releaseAddress(poolFor(n.ipv4, ep.ipv4).poolId, ep.ipv4);
      if (ipam && ep.ipv6) await ipam.releaseAddress(poolFor(n.ipv6, ep.ipv6).poolId, ep.ipv6);
    }
    this.endpoints.delete(ep.id);
    await this.o.store.delete(EP + ep.id);
    if (sb && sb.gatewayEndpoint === ep.id) {
      sb.gatewayEndpoint = undefined;
      const next = this.sandboxEndpoints(sb.id).find((e) => e.gateway4 || e.gateway6);
      if (next) await this.setGateway(sb, next);
      else await this.o.store.put(SB + sb.id, sb);
    }
    this.logger.info({ endpoint: ep.id, network: n?.name }, 'endpoint removed');
    if (n && n.scope !== 'local' && sb && !opts.closing) await this.detachGatewayIfUnneeded(sb);
  }

  private async allocateAddress(ipam: IpamDriver, pools: IpamData[], wanted: string | undefined, netName: string): Promise<string> {
    if (wanted) {
      const pool = pools.find((p) => cidrContains(p.subnet, wanted));
      if (!pool) throw new InvalidArgument(`no configured subnet or ip-range contain the IP address ${wanted}`);
      return ipam.requestAddress(pool.poolId, wanted);
    }
    let last: unknown;
    for (const p of pools) {
      try {
        return await ipam.requestAddress(p.poolId);
      } catch (err) {
        last = err;
      }
    }
    throw last ?? new Conflict(`no available addresses on network ${netName}`);
  }

  /** Make ep the sandbox's default route (replacing the previous one). */
  private async setGateway(sb: SandboxRecord, ep: EndpointRecord): Promise<void> {
    if (sb.nsPath) {
      const h = Rtnl.open(sb.nsPath);
      try {
        const link = await h.requireLink(ep.ifName);
        if (ep.gateway4) await h.addRoute({ dst: 'default', gateway: ep.gateway4, oif: link.index });
        if (ep.gateway6) await h.addRoute({ dst: 'default', gateway: ep.gateway6, oif: link.index });
      } finally {
        h.close();
      }
    }
    sb.gatewayEndpoint = ep.id;
    await this.o.store.put(SB + sb.id, sb);
  }

  // ---------------------------------------------------------------- restart

  /**
   * After a restart: load the store, roll back what a crash left half-made, re-pin
   * namespaces of containers that still run, drop sandboxes whose container is gone, and
   * make the kernel match the records again. `running(containerId)` returns the pid of a
   * still-running container, undefined otherwise.
   */
  async reconcile(running: (containerId: string) => number | undefined): Promise<void> {
    for (const r of await this.o.store.list<NetworkRecord>(NET)) this.networks.set(r.value.id, r.value);
    // Global networks come from the cluster store (only finished ones: a half-made global
    // network belongs to the host that was making it).
    const clusterNets = await this.o.cluster?.store.snapshot<NetworkRecord>(NET);
    for (const r of clusterNets?.records ?? []) if (r.value.state === 'ready') this.networks.set(r.value.id, r.value);
    for (const r of await this.o.store.list<EndpointRecord>(EP)) this.endpoints.set(r.value.id, r.value);
    for (const r of await this.o.store.list<SandboxRecord>(SB)) this.sandboxes.set(r.value.id, r.value);

    for (const sb of [...this.sandboxes.values()]) {
      const pid = running(sb.containerId);
      if (sb.nsPath && pid !== undefined && !isNetnsMount(sb.nsPath)) {
        pinNetns(`/proc/${pid}/ns/net`, sb.nsPath);
      }
      if (pid === undefined) {
        this.logger.info({ sandbox: sb.id }, 'container gone while the daemon was down; releasing its sandbox');
        await this.deleteSandbox(sb.id);
      }
    }
    for (const ep of [...this.endpoints.values()]) {
      if (ep.state !== 'ready' || !this.sandboxes.has(ep.sandboxId)) await this.removeEndpoint(ep, { force: true });
    }
    for (const n of [...this.networks.values()]) {
      if (n.state !== 'ready') {
        this.logger.info({ network: n.name }, 'rolling back a network left half-made');
        await this.destroyNetwork(n).catch((err) => this.logger.error({ err }, 'rollback failed'));
      }
    }
    await this.restoreNetworks();
    for (const sb of this.sandboxes.values()) {
      const gw = sb.gatewayEndpoint && this.endpoints.get(sb.gatewayEndpoint);
      if (gw) await this.setGateway(sb, gw);
    }
    await this.collectIpamGarbage();
    if (clusterNets) await this.startCluster(clusterNets.revision);
  }

  // ---------------------------------------------------------------- cluster (global scope)

  /**
   * After reconcile: publish this host's endpoints of global networks again (a new lease),
   * drop what an earlier life of this host published and no longer has, and follow the
   * global networks other hosts create and delete.
   */
  private async startCluster(fromRevision: number): Promise<void> {
    const c = this.o.cluster!;
    for (const ep of this.endpoints.values()) {
      const n = this.networks.get(ep.networkId);
      if (n && n.scope !== 'local' && ep.state === 'ready') await this.publishEndpoint(ep);
    }
    const peers = await c.store.snapshot<ClusterEndpoint>(CLUSTER_EP);
    for (const r of peers.records) {
      if (r.value.host !== c.hostId) this.remote.set(r.key, r.value);
      else if (!this.endpoints.has(r.value.id)) await c.store.delete(r.key);
    }
    this.stopPeerWatch = await c.store.watch<ClusterEndpoint>(CLUSTER_EP, (ev) => {
      if (ev.type === 'delete') this.remote.delete(ev.key);
      else if (ev.value.host !== c.hostId) this.remote.set(ev.key, ev.value);
    }, peers.revision + 1);
    this.stopClusterWatch = await c.store.watch<NetworkRecord>(NET, (ev) => {
      this.clusterQueue = this.clusterQueue
        .then(() => this.onClusterNetwork(ev))
        .catch((err) => this.logger.error({ err, key: ev.key }, 'applying a cluster network change failed'));
    }, fromRevision + 1);
  }

  /** Mirror a global network another host created; tear down one another host deleted. */
  private async onClusterNetwork(ev: WatchEvent<NetworkRecord>): Promise<void> {
    const id = ev.key.slice(NET.length);
    if (ev.type === 'put') {
      // Ours while we make it, or not finished yet elsewhere: nothing to mirror.
      if (ev.value.state !== 'ready' || this.networks.has(id)) return;
      this.networks.set(id, ev.value);
      await this.driverOf(ev.value).createNetwork(ev.value);
      this.logger.info({ network: ev.value.name, id }, 'global network appeared');
      return;
    }
    const n = this.networks.get(id);
    if (!n || n.state !== 'ready') return; // unknown, or this host is the one deleting it
    await this.locked(NET + n.name, async () => {
      n.state = 'deleting';
      for (const ep of [...this.endpoints.values()].filter((e) => e.networkId === n.id)) {
        await this.locked(SB + ep.sandboxId, () => this.removeEndpoint(ep, { force: true }));
      }
      await this.driverOf(n).deleteNetwork(n).catch((err) => this.logger.warn({ err, network: n.name }, 'removing the network\'s devices failed'));
      this.networks.delete(n.id);
      this.logger.info({ network: n.name, id }, 'global network removed (by another host)');
    });
  }

  /**
   * Endpoints that other hosts have on a global network (name, aliases, addresses, host),
   * as they published them; empty for local networks. Read-only, for name resolution and
   * inspection across hosts.
   */
  remoteEndpointsOf(networkId: string): ClusterEndpoint[] {
    return [...this.remote.values()].filter((e) => e.networkId === networkId);
  }

  /** Stop following the cluster store (daemon shutdown). */
  async closeCluster(): Promise<void> {
    await this.stopPeerWatch?.();
    await this.stopClusterWatch?.();
    await this.clusterQueue;
  }

  /**
   * Have every driver re-create what its networks and endpoints need (bridges, rules,
   * published ports). Idempotent: used at start and after the firewall was flushed.
   */
  async restoreNetworks(): Promise<void> {
    for (const n of [...this.networks.values()]) {
      if (n.state !== 'ready') continue;
      const eps = this.endpointsOf(n.id)
        .filter((ep) => ep.state === 'ready' && this.sandboxes.has(ep.sandboxId))
        .map((ep) => ({ ep, sb: sbInfo(this.sandboxes.get(ep.sandboxId)!) }));
      await this.driverOf(n).restoreNetwork(n, eps);
    }
  }

  /**
   * A crash between an IPAM call and the record that remembers its result leaves a pool
   * or address reserved for nobody. After reconcile every live reservation is in a record,
   * so whatever the IPAM holds beyond that is released.
   */
  private async collectIpamGarbage(): Promise<void> {
    const used = new Map<string, Set<string>>();
    const note = (poolId: string, cidr: string | undefined) => {
      if (!cidr) return;
      if (!used.has(poolId)) used.set(poolId, new Set());
      used.get(poolId)!.add(cidr.split('/')[0]);
    };
    for (const n of this.networks.values()) {
      for (const p of [...n.ipv4, ...n.ipv6]) {
        note(p.poolId, p.gateway);
        for (const ip of Object.values(p.auxAddresses)) note(p.poolId, ip);
        if (!used.has(p.poolId)) used.set(p.poolId, new Set());
      }
    }
    for (const ep of this.endpoints.values()) {
      const n = this.networks.get(ep.networkId);
      if (!n) continue;
      if (ep.ipv4) note(poolFor(n.ipv4, ep.ipv4).poolId, ep.ipv4);
      if (ep.ipv6) note(poolFor(n.ipv6, ep.ipv6).poolId, ep.ipv6);
    }
    for (const ipam of this.ipams.values()) {
      if (!ipam.listPools || !ipam.listAddresses) continue;
      for (const poolId of await ipam.listPools()) {
        const keep = used.get(poolId);
        if (!keep) {
          this.logger.warn({ poolId }, 'releasing an IPAM pool no network owns');
          await ipam.releasePool(poolId);
          continue;
        }
        for (const ip of await ipam.listAddresses(poolId).catch(() => [])) {
          if (keep.has(ip)) continue;
          this.logger.warn({ poolId, ip }, 'releasing an address no endpoint owns');
          await ipam.releaseAddress(poolId, ip);
        }
      }
    }
  }

  private async locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(key, tail);
    try {
      return await next;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }
}

function validateIpamConfig(c: IpamConfigRequest): IpamConfigRequest {
  const check = (what: string, v: string | undefined, cidr: boolean) => {
    if (v === undefined || v === '') return;
    if (typeof v !== 'string') throw new InvalidArgument(`invalid ${what}: must be a string`);
    const [ip, len, extra] = v.split('/');
    const ok = net.isIP(ip) && (cidr ? len !== undefined && extra === undefined && /^\d+$/.test(len) && Number(len) <= (net.isIPv6(ip) ? 128 : 32) : len === undefined);
    if (!ok) throw new InvalidArgument(`invalid ${what} ${v}: ${cidr ? 'not a CIDR' : 'not an IP address'}`);
  };
  check('subnet', c.subnet, true);
  check('ip-range', c.ipRange, true);
  check('gateway', c.gateway, false);
  for (const [k, v] of Object.entries(c.auxAddresses ?? {})) check(`auxiliary address ${k}`, v, false);
  if (c.ipRange && !c.subnet) throw new InvalidArgument('ip-range requires a subnet');
  if (c.gateway && !c.subnet) throw new InvalidArgument('gateway requires a subnet');
  if (c.subnet && c.ipRange && !(cidrContains(c.subnet, c.ipRange) && splitCidr(c.ipRange).prefix >= splitCidr(c.subnet).prefix)) {
    throw new InvalidArgument(`ip-range ${c.ipRange} is not inside subnet ${c.subnet}`);
  }
  if (c.subnet && c.gateway && !cidrContains(c.subnet, c.gateway)) throw new InvalidArgument(`gateway ${c.gateway} is not in subnet ${c.subnet}`);
  for (const [k, v] of Object.entries(c.auxAddresses ?? {})) {
    if (c.subnet && !cidrContains(c.subnet, v)) throw new InvalidArgument(`auxiliary address ${k}=${v} is not in subnet ${c.subnet}`);
  }
  return c;
}


function poolFor(pools: IpamData[], cidr: string): IpamData {
  return pools.find((p) => cidrContains(p.subnet, cidr)) ?? pools[0];
}

function sbInfo(sb: SandboxRecord): SandboxInfo {
  return { id: sb.id, ...(sb.nsPath ? { nsPath: sb.nsPath } : {}) };
}

function ifIndex(name: string): number {
  return Number(name.replace(/^\D+/, '')) || 0;
}

function nextIfName(used: string[]): string {
  for (let i = 0; ; i++) if (!used.includes(`eth${i}`)) return `eth${i}`;
}
