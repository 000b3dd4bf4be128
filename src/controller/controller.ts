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
import type { IpamData, NetworkDriver, SandboxInfo } from '../../drivers/contract.js';
import type { IpamDriver } from '../../ipam/contract.js';
import { Conflict, Forbidden, InvalidArgument, NotFound } from '../errors.js';
import { cidrContains, splitCidr } from '../kernel/addr.js';
import { createNetns, deleteNetns, isNetnsMount, pinNetns } from '../kernel/netns.js';
import { Rtnl } from '../kernel/rtnl.js';
import type { Store } from '../store/store.js';
import { isValidName, macFor, newId } from './ids.js';
import type { ConnectRequest, EndpointRecord, IpamConfigRequest, NetworkCreateRequest, NetworkRecord, SandboxRecord } from './model.js';
import { Undo } from './undo.js';

const NET = 'network/';
const EP = 'endpoint/';
const SB = 'sandbox/';

export interface ControllerOptions {
  store: Store;
  drivers: NetworkDriver[];
  ipams: IpamDriver[];
  /** Directory for sandbox namespace mounts. */
  netnsDir: string;
  /** rtnetlink handle of the host namespace (host routes for pool picking, sandbox lo). */
  host: Rtnl;
  logger: pino.Logger;
}

export class Controller {
  private readonly drivers = new Map<string, NetworkDriver>();
  private readonly ipams = new Map<string, IpamDriver>();
  private readonly networks = new Map<string, NetworkRecord>();
  private readonly endpoints = new Map<string, EndpointRecord>();
  private readonly sandboxes = new Map<string, SandboxRecord>();
  /** One operation at a time per network/sandbox key keeps read-modify-write safe. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly o: ControllerOptions) {
    for (const d of o.drivers) this.drivers.set(d.name, d);
    for (const i of o.ipams) this.ipams.set(i.name, i);
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
    const ipamName = req.ipam?.driver || 'default';
    const ipam = this.ipams.get(ipamName);
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
      try {
        this.networks.set(rec.id, rec);
        undo.push(() => { this.networks.delete(rec.id); });
        await this.o.store.put(NET + rec.id, rec);
        undo.push(() => this.o.store.delete(NET + rec.id));
        if (driver.capability.needsIpam) {
          const avoid = await this.hostRoutes();
          for (const c of v4.length ? v4 : [{}]) rec.ipv4.push(await this.allocatePool(ipam, c, false, avoid, undo));
          if (rec.enableIPv6) for (const c of v6.length ? v6 : [{}]) rec.ipv6.push(await this.allocatePool(ipam, c, true, avoid, undo));
          await this.o.store.put(NET + rec.id, rec);
        }
        await driver.createNetwork(rec);
        undo.push(() => driver.deleteNetwork(rec));
        rec.state = 'ready';
        await this.o.store.put(NET + rec.id, rec);
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
      n.state = 'deleting';
      await this.o.store.put(NET + n.id, n);
      await this.destroyNetwork(n);
      this.logger.info({ network: n.name, id: n.id }, 'network removed');
    });
  }

  /** Kernel teardown + IPAM release + record removal; safe to replay. */
  private async destroyNetwork(n: NetworkRecord): Promise<void> {
    await this.driverOf(n).deleteNetwork(n);
    const ipam = this.ipams.get(n.ipamDriver);
    for (const p of [...n.ipv4, ...n.ipv6]) await ipam?.releasePool(p.poolId).catch(() => undefined);
    await this.o.store.delete(NET + n.id);
    this.networks.delete(n.id);
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
      await this.removeEndpoint(ep, { force: true });
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
    const driver = this.driverOf(n);
    return this.locked(SB + sandboxId, async () => {
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
          const ipam = this.ipams.get(n.ipamDriver)!;
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
        await driver.createEndpoint(n, ep);
        await this.o.store.put(EP + id, ep);
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
        this.logger.info({ network: n.name, endpoint: id, ip: ep.ipv4, ip6: ep.ipv6, sandbox: sandboxId }, 'endpoint joined');
        return ep;
      } catch (err) {
        await undo.run();
        throw err;
      }
    });
  }

  async disconnect(sandboxId: string, netRef: string, opts: { force?: boolean } = {}): Promise<void> {
    const n = this.findNetwork(netRef);
    await this.locked(SB + sandboxId, async () => {
      const ep = [...this.endpoints.values()].find((e) => e.sandboxId === sandboxId && e.networkId === n.id);
      if (!ep) throw new NotFound(`container ${sandboxId.slice(0, 12)} is not connected to network ${n.name}`);
      await this.removeEndpoint(ep, opts);
    });
  }

  private async removeEndpoint(ep: EndpointRecord, opts: { force?: boolean }): Promise<void> {
    const n = this.networks.get(ep.networkId);
    const sb = this.sandboxes.get(ep.sandboxId);
    ep.state = 'deleting';
    await this.o.store.put(EP + ep.id, ep);
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
      if (sb) await step('leave', () => driver.leave(n, ep, sbInfo(sb)));
      await step('delete endpoint', () => driver.deleteEndpoint(n, ep));
      const ipam = this.ipams.get(n.ipamDriver);
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
