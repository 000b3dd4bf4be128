/**
 * Networks: lookup, create (name claim, record, pools, driver resources, kernel) and
 * delete. A create commits its intent — the record `creating`, its pools and gateway
 * addresses, a global network's name claim — in one unit of work before any kernel work,
 * so a crash half-way is rolled back by reconcile from that record and nothing is reserved
 * that no record owns; the outcome (`ready`) is a second commit. A delete commits
 * `deleting`, undoes the kernel work, and drops record, claim and pools in one commit.
 */
import type { Transaction } from '../contracts/store.js';
import type { IpamData } from '../contracts/driver.js';
import type { IpamDriver } from '../contracts/ipam.js';
import { Conflict, Forbidden, InvalidArgument, NotFound } from '../util/errors.js';
import { cidrContains } from '../util/ip.js';
import { newId } from '../util/ids.js';
import { failpoint } from '../util/failpoint.js';
import { Undo } from '../util/undo.js';
import { timed } from '../metrics/registry.js';
import type { IpamConfigRequest, NetworkCreateRequest, NetworkRecord } from './model.js';
import { publishNetworkEvent } from './network-events.js';
import { NET, NETNAME, type ControllerState } from './state.js';
import { STICKY } from './sticky-ips.js';
import { activeEndpointsError, assertNameFree, validateNetworkRequest, type ValidNetworkRequest } from './validation.js';

/** How often a create picks its pools again after other hosts took the ones picked. */
const INTENT_ATTEMPTS = 10;

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
    await this.s.resolve(req.driver || 'bridge', req.ipam?.driver || 'default');
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
      ipamOptions: req.ipam?.options ? { ...req.ipam.options } : null,
      userSubnets: v.userSubnets,
      ...(!req.enableIPv6 && v.v6.length ? { ipv6Unused: v.v6 } : {}),
      predefined: !!opts.predefined,
      state: 'creating',
    };
    v.driver.validateNetwork(rec);
    return this.s.locks.run(NET + rec.name, async () => {
      // Re-checked under the lock: two concurrent creates of one name must not both win.
      assertNameFree(this.s, rec.name);
      const undo = new Undo(this.s.logger);
      try {
        await timed('network_create', v.driverName, () => this.build(rec, v, undo));
        this.s.logger.info({ network: rec.name, id: rec.id, driver: v.driverName }, 'network created');
        publishNetworkEvent(this.s, rec, 'create');
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
    this.s.networks.set(rec.id, rec);
    undo.push(() => { this.s.networks.delete(rec.id); });
    await this.commitIntent(rec, v);
    undo.push(() => this.forget(rec));
    if (driver.allocateNetwork) {
      await driver.allocateNetwork(rec); // cluster-wide resources (e.g. the VNI), into rec.options
      undo.push(() => driver.freeNetwork?.(rec));
    }
    failpoint('network.create.kernel');
    await driver.createNetwork(rec);
    undo.push(() => driver.deleteNetwork(rec));
    failpoint('network.create.ready');
    rec.state = 'ready';
    await store.put(NET + rec.id, rec);
  }

  /**
   * The record `creating`, a global network's name claim, its pools and gateways: one
   * commit. Picked again when another host took a picked pool before the commit.
   */
  private async commitIntent(rec: NetworkRecord, v: ValidNetworkRequest): Promise<void> {
    const store = this.s.storeOf(rec);
    for (let attempt = 1; ; attempt++) {
      rec.ipv4 = [];
      rec.ipv6 = [];
      const tx = store.begin();
      try {
        if (v.global) {
          tx.expect(NETNAME + rec.name, null); // unique across hosts
          tx.put(NETNAME + rec.name, rec.id);
        }
        if (v.driver.capability.needsIpam) {
          const avoid = await this.s.o.os.hostRoutes();
          const skip = v.driver.skipsGateway?.(rec) ?? { v4: false, v6: false };
          for (const c of v.v4.length || v.noIpv4 ? v.v4 : [{}]) rec.ipv4.push(await allocatePool(v.ipam, c, false, avoid, tx, skip.v4));
          const v6 = rec.enableIPv6 ? (v.v6.length ? v.v6 : [{}]) : [];
          for (const c of v6) rec.ipv6.push(await allocatePool(v.ipam, c, true, avoid, tx, skip.v6));
          failpoint('network.create.pools');
        }
        tx.put(NET + rec.id, rec);
      } catch (err) {
        tx.abort();
        throw err;
      }
      try {
        await tx.commit();
        return;
      } catch (err) {
        if (v.global && (await store.get(NETNAME + rec.name))) throw new Conflict(`network with name ${rec.name} already exists`);
        if (!(err instanceof Conflict) || attempt >= INTENT_ATTEMPTS) throw err;
      }
    }
  }

  async delete(ref: string, opts: { predefined?: boolean } = {}): Promise<void> {
    const n = this.find(ref);
    if (n.predefined && !opts.predefined) throw new Forbidden(`${n.name} is a pre-defined network and cannot be removed`);
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
      try {
        await timed('network_delete', n.driver, () => this.destroy(n));
      } catch (err) {
        // The driver refused or is gone (a plugin): the network stays, as it was.
        n.state = 'ready';
        await this.s.storeOf(n).put(NET + n.id, n);
        throw err;
      }
      this.s.logger.info({ network: n.name, id: n.id }, 'network removed');
      publishNetworkEvent(this.s, n, 'destroy');
    });
  }

  private assertNoLocalEndpoints(n: NetworkRecord): void {
    const eps = [...this.s.endpoints.values()].filter((e) => e.networkId === n.id);
    if (eps.length) throw activeEndpointsError(n, eps);
  }

  /**
   * Kernel teardown, then record, name claim and pools in one commit; safe to replay.
   * `force` (the rollback of a remote network at start): a plugin that is gone or fails
   * does not keep the record, whose network it then keeps on its own side only.
   */
  async destroy(n: NetworkRecord, opts: { force?: boolean } = {}): Promise<void> {
    const step = async (fn: () => Promise<void> | undefined) => {
      try {
        await fn();
      } catch (err) {
        if (!opts.force) throw err;
        this.s.logger.warn({ err, network: n.name }, 'the driver failed to remove the network; forgetting it (forced)');
      }
    };
    const driver = opts.force ? this.s.drivers.get(n.driver) : this.s.driverOf(n);
    await step(() => driver?.deleteNetwork(n));
    failpoint('network.delete.kernel');
    await step(() => driver?.freeNetwork?.(n));
    await this.forget(n);
  }

  /** Drop the record, a global network's name claim and its pools, in one commit. */
  private async forget(n: NetworkRecord): Promise<void> {
    const tx = this.s.storeOf(n).begin();
    const ipam = this.s.ipamOf(n);
    for (const p of [...n.ipv4, ...n.ipv6]) await ipam?.releasePool(p.poolId, tx).catch(() => undefined);
    tx.delete(NET + n.id);
    tx.delete(STICKY + n.id);
    if (n.scope !== 'local') tx.update<string>(NETNAME + n.name, (claim) => (claim === n.id ? undefined : claim));
    await tx.commit();
    this.s.networks.delete(n.id);
  }
}

/** A pool for one IPAM config of a network, with its aux addresses and (unless noGateway) its gateway, into tx. */
export async function allocatePool(
  ipam: IpamDriver, c: IpamConfigRequest, v6: boolean, avoid: string[], tx: Transaction, noGateway: boolean,
): Promise<IpamData> {
  const { poolId, pool } = await ipam.requestPool({ pool: c.subnet, subPool: c.ipRange, v6, avoid }, tx);
  const data: IpamData = { poolId, subnet: pool, auxAddresses: {} };
  if (c.ipRange) data.ipRange = c.ipRange;
  if (c.gateway && !cidrContains(pool, c.gateway)) {
    throw new InvalidArgument(`gateway ${c.gateway} is not in subnet ${pool}`);
  }
  // Aux addresses first: a gateway picked automatically must not take one of them.
  for (const [name, ip] of Object.entries(c.auxAddresses ?? {})) {
    if (!cidrContains(pool, ip)) throw new InvalidArgument(`auxiliary address ${name}=${ip} is not in subnet ${pool}`);
    await ipam.requestAddress(poolId, ip, {}, tx);
    data.auxAddresses[name] = ip;
  }
  if (noGateway) return data;
  const gw = await ipam.requestAddress(poolId, c.gateway, { gateway: true }, tx);
  if (gw) data.gateway = gw;
  return data;
}
