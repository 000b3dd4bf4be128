/**
 * Networks: lookup, create (name claim, record, pools, driver resources, kernel) and
 * delete. A record is written `creating` before any kernel work, so a crash half-way is
 * rolled back by reconcile.
 */
import type { IpamData } from '../contracts/driver.js';
import type { IpamDriver } from '../contracts/ipam.js';
import { Conflict, Forbidden, InvalidArgument, NotFound } from '../util/errors.js';
import { cidrContains } from '../util/ip.js';
import { newId } from '../util/ids.js';
import { Undo } from '../util/undo.js';
import type { IpamConfigRequest, NetworkCreateRequest, NetworkRecord } from './model.js';
import { NET, NETNAME, type ControllerState } from './state.js';
import { activeEndpointsError, assertNameFree, validateNetworkRequest, type ValidNetworkRequest } from './validation.js';
import { failpoint } from '../util/failpoint.js';

export class Networks {
  constructor(private readonly s: ControllerState) {}

  /** By full id, exact name, or unique id prefix — Docker's lookup order. */
  find(ref: string): NetworkRecord {
    const all = this.s.listNetworks();
    const hit = all.find((n) => n.id === ref) ?? all.find((n) => n.name === ref);
    if (hit) return hit;
    const byPrefix = ref ? all.filter((n) => n.id.startsWith(ref)) : [];
    if (byPrefix.length === 1) return byPrefix[0];
    if (byPrefix.length > 1) throw new InvalidArgument(`network ${ref} is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
    throw new NotFound(`network ${ref} not found`);
  }

  async create(req: NetworkCreateRequest, opts: { predefined?: boolean; id?: string } = {}): Promise<NetworkRecord> {
    // Nothing is allocated or written before validation passed.
    const v = validateNetworkRequest(this.s, req, !!opts.predefined);
    const rec: NetworkRecord = {
      id: opts.id ?? newId(),
      name: req.name,
      driver: v.driverName,
      scope: v.driver.capability.scope,
      internal: !!req.internal,
      attachable: !!req.attachable,
      enableIPv6: !!req.enableIPv6,
      options: { ...(req.options ?? {}) },
      labels: { ...(req.labels ?? {}) },
      ipv4: [],
      ipv6: [],
      created: new Date().toISOString(),
      ipamDriver: v.ipamName,
      ipamOptions: { ...(req.ipam?.options ?? {}) },
      userSubnets: v.userSubnets,
      predefined: !!opts.predefined,
      state: 'creating',
    };
    v.driver.validateNetwork(rec);
    return this.s.locks.run(NET + rec.name, async () => {
      // Re-checked under the lock: two concurrent creates of one name must not both win.
      assertNameFree(this.s, rec.name);
      const undo = new Undo(this.s.logger);
      try {
        await this.build(rec, v, undo);
        this.s.logger.info({ network: rec.name, id: rec.id, driver: v.driverName }, 'network created');
        return rec;
      } catch (err) {
        await undo.run();
        throw err;
      }
    });
  }

  /** The steps of a create, each pushing its undo. */
  private async build(rec: NetworkRecord, v: ValidNetworkRequest, undo: Undo): Promise<void> {
    const { driver } = v;
    const store = this.s.storeOf(rec);
    if (v.global && (await store.compareAndSwap(NETNAME + rec.name, null, rec.id)) === undefined) {
      throw new Conflict(`network with name ${rec.name} already exists`); // on another host
    }
    if (v.global) undo.push(() => store.delete(NETNAME + rec.name));
    this.s.networks.set(rec.id, rec);
    undo.push(() => { this.s.networks.delete(rec.id); });
    await store.put(NET + rec.id, rec);
    undo.push(() => store.delete(NET + rec.id));
    failpoint('network.create.recorded');
    if (driver.capability.needsIpam) {
      const avoid = await this.s.o.os.hostRoutes();
      for (const c of v.v4.length ? v.v4 : [{}]) rec.ipv4.push(await allocatePool(v.ipam, c, false, avoid, undo));
      if (rec.enableIPv6) for (const c of v.v6.length ? v.v6 : [{}]) rec.ipv6.push(await allocatePool(v.ipam, c, true, avoid, undo));
      failpoint('network.create.pools');
      await store.put(NET + rec.id, rec);
    }
    if (driver.allocateNetwork) {
      await driver.allocateNetwork(rec); // cluster-wide resources (e.g. the VNI), into rec.options
      undo.push(() => driver.freeNetwork?.(rec));
    }
    await driver.createNetwork(rec);
    undo.push(() => driver.deleteNetwork(rec));
    failpoint('network.create.kernel');
    rec.state = 'ready';
    await store.put(NET + rec.id, rec);
  }

  async delete(ref: string): Promise<void> {
    const n = this.find(ref);
    if (n.predefined) throw new Forbidden(`${n.name} is a pre-defined network and cannot be removed`);
    await this.s.locks.run(NET + n.name, async () => {
      this.assertNoLocalEndpoints(n);
      const cluster = this.s.o.cluster;
      if (n.scope !== 'local' && cluster) {
        // From the store itself rather than the peer source, whose view may lag behind it.
        const remote = await cluster.publishedEndpoints(n.id);
        if (remote.length) throw activeEndpointsError(n, remote);
        this.assertNoLocalEndpoints(n); // a connect may have begun while the cluster answered
      }
      // Set with no await since the last check: a connect that has not registered its
      // endpoint by now finds the network gone (Endpoints.connectLocked).
      n.state = 'deleting';
      await this.s.storeOf(n).put(NET + n.id, n);
      failpoint('network.delete.marked');
      await this.destroy(n);
      this.s.logger.info({ network: n.name, id: n.id }, 'network removed');
    });
  }

  private assertNoLocalEndpoints(n: NetworkRecord): void {
    const eps = [...this.s.endpoints.values()].filter((e) => e.networkId === n.id);
    if (eps.length) throw activeEndpointsError(n, eps);
  }

  /** Kernel teardown + IPAM release + record removal; safe to replay. */
  async destroy(n: NetworkRecord): Promise<void> {
    const driver = this.s.driverOf(n);
    await driver.deleteNetwork(n);
    failpoint('network.delete.kernel');
    await driver.freeNetwork?.(n);
    const ipam = this.s.ipamOf(n);
    for (const p of [...n.ipv4, ...n.ipv6]) await ipam?.releasePool(p.poolId).catch(() => undefined);
    failpoint('network.delete.released');
    const store = this.s.storeOf(n);
    await store.delete(NET + n.id);
    if (n.scope !== 'local') {
      const claim = await store.get<string>(NETNAME + n.name);
      if (claim?.value === n.id) await store.compareAndDelete(NETNAME + n.name, claim.revision);
    }
    this.s.networks.delete(n.id);
  }
}

async function allocatePool(ipam: IpamDriver, c: IpamConfigRequest, v6: boolean, avoid: string[], undo: Undo): Promise<IpamData> {
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
